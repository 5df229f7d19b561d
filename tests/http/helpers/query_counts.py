"""The data of the query-count tests: one customer with ``n`` objects of every kind, so a page's
statements can be counted with a small and a large world."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from core import models
from core.catalogs import NOTIFICATION_KEYS, PERMISSION_KEYS, PROJECT_SETTING_KEYS
from core.extensions import db
from core.passwords import new_session_token
from core.tokens import make_password_token, make_sign_in_token, make_unsubscribe_token

_seq = itertools.count(1)


# -- the data ----------------------------------------------------------------------------------


@dataclass
class World:
    """One customer with ``n`` objects of every kind, seen by its primary contact."""

    n: int
    contact: models.Contact
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _items(model, count: int) -> list:
    return [
        model(
            position=i, description=f"Line {i}", quantity=Decimal("1"), unit_price=Decimal("10"), tax_rate=Decimal("19")
        )
        for i in range(count)
    ]


def _stored(customer_id: int, folder: Path, *, write: bool = False, **owner) -> models.StoredFile:
    name = f"qc-{next(_seq)}"
    if write:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"%PDF-1.4 test")
    return models.StoredFile(
        customer_id=customer_id,
        original_name=f"{name}.pdf",
        stored_name=name,
        content_type="application/pdf",
        size=13,
        **owner,
    )


def build_world(f, staff: list, n: int, folder: Path) -> World:
    """A customer whose every list has ``n`` rows and whose detail objects have ``n`` children each."""
    today = date.today()
    customer = f.make_customer(f"Company {n}-{next(_seq)}")
    contact = f.make_contact(customer, permissions=PERMISSION_KEYS, notifications=NOTIFICATION_KEYS)
    world = World(n, contact)
    cid = customer.id
    add = db.session.add_all

    # Colleagues (the primary contact manages them), with permissions and toggles.
    colleagues = [
        models.Contact(
            customer_id=cid,
            first_name="Colleague",
            last_name=str(i),
            email=f"colleague{next(_seq)}@example.com",
            session_token=new_session_token(),
            permission_rows=[models.ContactPermission(permission=p) for p in sorted(PERMISSION_KEYS)],
            notification_rows=[models.ContactNotification(notification=k) for k in sorted(NOTIFICATION_KEYS)],
        )
        for i in range(n)
    ]
    add(colleagues)
    db.session.flush()
    # Comments, replies and tickets come from many different people, so a query per author
    # (a lazy load the identity map cannot answer) would show as a difference between sizes.
    people = [{"contact_id": c.id} for c in (contact, *colleagues)] + [{"staff_id": s.id} for s in staff]

    def author(i: int) -> dict:
        return people[i % len(people)]

    # Projects: the first one is fully shared and carries everything below.
    projects = [
        models.Project(customer_id=cid, name=f"Project {i}", start_date=today - timedelta(days=i)) for i in range(n)
    ]
    add(projects)
    db.session.flush()
    project = projects[0]
    add(
        models.ProjectSettingRow(project_id=p.id, setting=key) for p in projects for key in sorted(PROJECT_SETTING_KEYS)
    )
    tasks = [models.Task(project_id=project.id, name=f"Task {i}", visible_to_customer=True) for i in range(n)]
    tasks.append(models.Task(project_id=project.id, name="Internal", visible_to_customer=False))
    milestones = [models.Milestone(project_id=project.id, name=f"Milestone {i}", due_date=today) for i in range(n)]
    discussions = [models.Discussion(project_id=project.id, subject=f"Discussion {i}") for i in range(n)]
    project_files = [_stored(cid, folder, write=i == 0, project_id=project.id) for i in range(n)]
    add([*tasks, *milestones, *discussions, *project_files])
    db.session.flush()
    for i in range(n):
        add([models.TaskComment(task_id=tasks[0].id, body=f"Task note {i}", **author(i))])
        add(models.DiscussionComment(discussion_id=d.id, body=f"Comment {i}", **author(i)) for d in discussions)

    # Invoices across two years, with payments; the first has n lines, payments and credit notes.
    statuses = ("unpaid", "partially_paid", "paid", "cancelled")
    invoices = []
    for i in range(n):
        invoice = models.Invoice(
            customer_id=cid,
            project_id=project.id,
            number=f"INV-Q{next(_seq):06d}",
            status=statuses[i % len(statuses)],
            date=today - timedelta(days=1 + 25 * i),
            due_date=today + timedelta(days=14 - 20 * i),
            items=_items(models.InvoiceItem, n if i == 0 else 1),
        )
        invoice.recalculate()
        payments = n if i == 0 else 1
        invoice.payments = [
            models.Payment(amount=Decimal("1.00"), date=invoice.date, reference=f"P{j}") for j in range(payments)
        ]
        invoice.amount_paid = Decimal(payments)
        invoices.append(invoice)
    invoices.append(
        models.Invoice(
            customer_id=cid,
            number=f"INV-Q{next(_seq):06d}",
            status="draft",
            date=today,
            items=_items(models.InvoiceItem, 1),
        )
    )
    add(invoices)
    db.session.flush()
    notes = []
    for i in range(n):
        note = models.CreditNote(
            customer_id=cid,
            number=f"CN-Q{next(_seq):06d}",
            date=today - timedelta(days=i),
            invoice_id=invoices[0].id,
            items=_items(models.CreditNoteItem, n if i == 0 else 1),
        )
        note.recalculate()
        notes.append(note)
    estimates = []
    for i in range(n):
        estimate = models.Estimate(
            customer_id=cid,
            project_id=project.id,
            number=f"EST-Q{next(_seq):06d}",
            status=("sent", "accepted", "declined")[i % 3],
            date=today - timedelta(days=i),
            expiry_date=today + timedelta(days=30),
            items=_items(models.EstimateItem, n if i == 0 else 1),
        )
        estimate.recalculate()
        estimates.append(estimate)
    contracts = [
        models.Contract(
            customer_id=cid, project_id=project.id, subject=f"Contract {i}", start_date=today - timedelta(days=i)
        )
        for i in range(n)
    ]
    proposals = [
        models.Proposal(customer_id=cid, project_id=project.id, subject=f"Proposal {i}", date=today - timedelta(days=i))
        for i in range(n)
    ]
    openers = (contact, *colleagues)
    tickets = [
        models.Ticket(
            customer_id=cid, contact_id=openers[i % len(openers)].id, project_id=project.id, subject=f"Ticket {i}"
        )
        for i in range(n)
    ]
    add([*notes, *estimates, *contracts, *proposals, *tickets])
    db.session.flush()
    add(models.ProposalComment(proposal_id=proposals[0].id, body=f"Question {i}", **author(i)) for i in range(n))
    replies = [models.TicketReply(ticket_id=tickets[0].id, body=f"Reply {i}", **author(i)) for i in range(n)]
    add(replies)
    db.session.flush()
    ticket_files = [_stored(cid, folder, write=i == 0, ticket_reply_id=r.id) for i, r in enumerate(replies)]
    add(ticket_files)
    db.session.commit()

    world.ids = {
        "contact_id": colleagues[0].id,
        "invoice_id": invoices[0].id,
        "credit_note_id": notes[0].id,
        "estimate_id": estimates[0].id,
        "contract_id": contracts[0].id,
        "proposal_id": proposals[0].id,
        "ticket_id": tickets[0].id,
        "ticket_file_id": ticket_files[0].id,
        "project_id": project.id,
        "task_id": tasks[0].id,
        "discussion_id": discussions[0].id,
        "project_file_id": project_files[0].id,
    }
    contact.sign_in_link_nonce = "query-counts-nonce"  # what asking for a sign-in link stores
    db.session.commit()
    world.tokens = {
        "sign_in_link": make_sign_in_token(contact, contact.sign_in_link_nonce, "/invoices"),
        "invitation": make_password_token("invitation", colleagues[0]),
        "password_reset": make_password_token("password_reset", contact),
        "unsubscribe": make_unsubscribe_token(contact, "invoice"),
    }
    return world
