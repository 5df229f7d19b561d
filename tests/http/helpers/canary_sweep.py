"""The data of the canary sweep: one customer's world with something of every kind, each object
named with the customer's canary so a leak is found by its text."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from werkzeug.datastructures import FileStorage

from core import models
from core.catalogs import NOTIFICATION_KEYS, PERMISSION_KEYS, PROJECT_SETTING_KEYS
from core.document_kinds import DOCUMENT_KINDS_BY_KEY as DOCUMENT_KINDS
from core.extensions import db
from core.models import utcnow
from core.notifications import notify
from core.services.customers import save_customer
from core.services.documents import add_proposal_comment, convert_estimate
from core.services.invoices import record_payment
from core.services.passwords import queue_invitation
from core.services.projects import (
    add_discussion_comment,
    add_milestone,
    add_project_file,
    add_task,
    add_task_comment,
    create_project,
    set_project_status,
    set_task_status,
    start_discussion,
)
from core.services.sending import send_document
from core.services.tickets import add_contact_reply, add_staff_reply, open_ticket
from tests import factories
from tests.http.attack_helpers import new_marker

ALL = set(PERMISSION_KEYS)
ALL_NOTES = set(NOTIFICATION_KEYS)


# -- building a customer's world --------------------------------------------------------------------


@dataclass
class World:
    """One customer's records: ``texts`` maps a label to each planted text (all carry ``marker``)."""

    marker: str
    internal: str  # marker of records the customer must not see (drafts, hidden items)
    customer: object = None
    contacts: dict[str, models.Contact] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    internal_texts: dict[str, str] = field(default_factory=dict)

    def t(self, label: str) -> str:
        value = f"{self.marker}-{label}"
        self.texts[label] = value
        return value

    def hidden(self, label: str) -> str:
        value = f"{self.internal}-{label}"
        self.internal_texts[label] = value
        return value


def _upload(name: str, content: str) -> FileStorage:
    return FileStorage(io.BytesIO(content.encode()), filename=name, content_type="text/plain")


def _lines(model, w: World, label: str, text=None):
    text = text or w.t
    return [
        model(
            position=1,
            description=text(f"{label}-l1"),
            quantity=Decimal("2"),
            unit_price=Decimal("50"),
            tax_rate=Decimal("19"),
        ),
        model(
            position=2,
            description=text(f"{label}-l2"),
            quantity=Decimal("1"),
            unit_price=Decimal("10"),
            tax_rate=Decimal("0"),
        ),
    ]


def _invoice(w: World, label: str, status: str, *, due_in: int = 14, text=None, **extra) -> models.Invoice:
    text = text or w.t
    today = date.today()
    invoice = models.Invoice(
        customer_id=w.customer.id,
        number=text(label),
        status=status,
        date=today - timedelta(days=1),
        due_date=today + timedelta(days=due_in),
        notes=text(f"{label}-notes"),
        items=_lines(models.InvoiceItem, w, label, text),
        **extra,
    )
    invoice.recalculate()
    db.session.add(invoice)
    db.session.commit()
    return invoice


def build_world(label: str, staff) -> World:
    """Customer ``label`` with rich data, every text field carrying its marker."""
    w = World(marker=new_marker(label), internal=new_marker(f"{label}I"))
    w.customer = save_customer(
        None,
        {
            "company": w.t("company"),
            "vat_number": w.t("vat"),
            "phone": w.t("phone"),
            "address": f"{w.t('street')}\n{w.t('addr2')}",
            "city": w.t("city"),
            "zip_code": w.t("zip"),
            "country": w.t("country"),
            "website": f"https://{w.t('web').lower()}.example",
        },
    )

    def contact(role: str, permissions, notifications, **extra) -> models.Contact:
        c = factories.make_contact(
            w.customer,
            permissions=permissions,
            notifications=notifications,
            first_name=w.t(f"{role}-first"),
            last_name=w.t(f"{role}-last"),
            email=f"{w.marker.lower()}-{role}@example.com",
            phone=w.t(f"{role}-ph"),
            position=w.t(f"{role}-pos"),
            **extra,
        )
        w.contacts[role] = c
        return c

    primary = contact("primary", ALL, ALL_NOTES)
    colleague = contact("colleague", ALL, ALL_NOTES)
    contact("billing", {"invoices", "support"}, {"invoice", "credit_note", "ticket"})
    builder = contact("builder", {"projects", "support"}, {"project", "task", "ticket"})
    contact("sales", {"estimates", "contracts", "proposals"}, {"estimate", "contract"})
    assert primary.is_primary and not colleague.is_primary

    # Projects first, so documents and tickets can hang off them.
    project = create_project(w.customer.id, w.t("proj1"), w.t("proj1-desc"), settings=PROJECT_SETTING_KEYS)
    done = create_project(w.customer.id, w.t("proj2"), w.t("proj2-desc"))
    set_project_status(done, "finished")
    task = add_task(project, w.t("task1"), visible_to_customer=True, due_date=date.today())
    task.description = w.t("task1-desc")
    db.session.commit()
    add_task(project, w.hidden("task-hidden"), visible_to_customer=False)
    add_task(done, w.t("task2"), visible_to_customer=True)
    add_task_comment(task, w.t("tc-contact"), author=primary)
    add_task_comment(task, w.t("tc-staff"), author=staff)
    set_task_status(task, "in_progress")
    add_milestone(project, name=w.t("ms1"), description=w.t("ms1-desc"), due_date=date.today())
    add_milestone(project, name=w.hidden("ms-hidden"), visible_to_customer=False)
    discussion = start_discussion(project, subject=w.t("disc1"), description=w.t("disc1-desc"))
    add_discussion_comment(discussion, w.t("dc-contact"), author=builder)
    add_discussion_comment(discussion, w.t("dc-staff"), author=staff)
    start_discussion(project, subject=w.hidden("disc-hidden"), visible_to_customer=False)
    add_project_file(project, _upload(f"{w.t('pfile')}.txt", w.t("pfile-bytes")), author=staff)
    add_project_file(project, _upload(f"{w.t('cfile')}.txt", w.t("cfile-bytes")), author=builder)
    add_project_file(
        project,
        _upload(f"{w.hidden('hfile')}.txt", w.hidden("hfile-bytes")),
        author=staff,
        visible_to_customer=False,
    )

    # Invoices in every status, with payments; a credit note; one invoice in the project.
    unpaid = _invoice(w, "inv-unpaid", "unpaid", project_id=project.id)
    _invoice(w, "inv-overdue", "unpaid", due_in=-10)
    partly = _invoice(w, "inv-partly", "unpaid")
    record_payment(partly, Decimal("20"), date.today(), method=w.t("pay1-m"))
    partly.payments[0].reference = w.t("pay1-ref")
    paid = _invoice(w, "inv-paid", "unpaid")
    record_payment(paid, paid.total, date.today(), method=w.t("pay2-m"))
    _invoice(w, "inv-cancel", "cancelled")
    _invoice(w, "inv-draft", "draft", text=w.hidden)
    note = models.CreditNote(
        customer_id=w.customer.id,
        number=w.t("cn1"),
        date=date.today(),
        invoice_id=paid.id,
        notes=w.t("cn1-notes"),
        items=_lines(models.CreditNoteItem, w, "cn1"),
    )
    note.recalculate()
    db.session.add(note)

    # Estimates: sent (in the project), accepted and converted to an invoice, declined, draft.
    def estimate(tag: str, status: str, text=w.t, **extra) -> models.Estimate:
        obj = models.Estimate(
            customer_id=w.customer.id,
            number=text(tag),
            status=status,
            date=date.today(),
            expiry_date=date.today() + timedelta(days=30),
            notes=text(f"{tag}-notes"),
            items=_lines(models.EstimateItem, w, tag, text),
            **extra,
        )
        obj.recalculate()
        db.session.add(obj)
        db.session.commit()
        return obj

    sent = estimate("est-sent", "sent", project_id=project.id)
    accepted = estimate(
        "est-acc", "accepted", signer_name=w.t("est-signer"), decided_at=utcnow(), decided_ip="10.0.0.1"
    )
    estimate("est-decl", "declined", decided_at=utcnow())
    estimate("est-draft", "draft", text=w.hidden)
    converted = convert_estimate(accepted, actor=staff)
    converted.number, converted.status = w.t("inv-conv"), "unpaid"

    # Proposals with a comment thread; contracts, one signed.
    proposal = models.Proposal(
        customer_id=w.customer.id,
        project_id=project.id,
        subject=w.t("prop-open"),
        content=w.t("prop-open-content"),
        date=date.today(),
        status="open",
    )
    db.session.add_all(
        [
            proposal,
            models.Proposal(
                customer_id=w.customer.id,
                subject=w.t("prop-acc"),
                content=w.t("prop-acc-content"),
                date=date.today(),
                status="accepted",
                signer_name=w.t("prop-signer"),
                decided_at=utcnow(),
            ),
            models.Proposal(
                customer_id=w.customer.id,
                subject=w.hidden("prop-draft"),
                content=w.hidden("prop-draft-content"),
                date=date.today(),
                status="draft",
            ),
        ]
    )
    db.session.flush()
    db.session.add(models.ProposalComment(proposal_id=proposal.id, contact_id=colleague.id, body=w.t("pc-contact")))
    db.session.commit()
    add_proposal_comment(proposal, staff, w.t("pc-staff"))
    unsigned = models.Contract(
        customer_id=w.customer.id,
        project_id=project.id,
        subject=w.t("ctr-open"),
        content=w.t("ctr-open-content"),
        value=Decimal("1000"),
        start_date=date.today(),
        end_date=date.today() + timedelta(days=20),
    )
    signed = models.Contract(
        customer_id=w.customer.id,
        subject=w.t("ctr-signed"),
        content=w.t("ctr-signed-content"),
        start_date=date.today(),
        signer_name=w.t("ctr-signer"),
        signed_at=utcnow(),
        signer_ip="10.0.0.2",
    )
    db.session.add_all([unsigned, signed])
    db.session.commit()

    # Tickets by three contacts, with attachments and replies both ways.
    tickets = []
    for role, tag in (("primary", "tk1"), ("colleague", "tk2"), ("billing", "tk3")):
        opener = w.contacts[role]
        ticket = open_ticket(
            opener,
            subject=w.t(tag),
            department="General",
            priority="high",
            message=w.t(f"{tag}-msg"),
            submission_key=secrets.token_hex(16),
            project_id=project.id if opener.can("projects") else None,
            uploads=[_upload(f"{w.t(tag + '-att')}.txt", w.t(f"{tag}-att-bytes"))],
        )
        add_staff_reply(
            ticket, staff, w.t(f"{tag}-staff"), uploads=[_upload(f"{w.t(tag + '-satt')}.txt", w.t(f"{tag}-satt-b"))]
        )
        add_contact_reply(ticket, opener, w.t(f"{tag}-reply"))
        tickets.append(ticket)
    tickets[0].department = w.t("dept")
    db.session.commit()

    # Notification emails of every kind (queued in the outbox; the test reads them there).
    notify.notify_invoice("invoice_sent", unpaid)
    notify.notify_invoice("invoice_overdue", unpaid)
    notify.notify_invoice("invoice_due_soon", unpaid)
    notify.notify_credit_note("credit_note_sent", note)
    notify.notify_estimate("estimate_sent", sent)
    notify.notify_estimate("estimate_expiry_reminder", sent)
    notify.notify_contract("contract_sent", unsigned)
    notify.notify_contract("contract_expiry_reminder", unsigned)
    notify.notify_ticket("ticket_staff_reply", tickets[0], w.t("tk1-mail"))
    notify.notify_project("project_file_added", project, w.t("pfile-mail"))
    notify.notify_task("task_commented", task, w.t("tc-mail"))
    queue_invitation(w.contacts["sales"])
    db.session.commit()
    recipients = {c.id for c in w.contacts.values()}
    for kind, document in (("invoice", unpaid), ("credit_note", note), ("estimate", sent), ("contract", unsigned)):
        send_document(DOCUMENT_KINDS[kind], document, recipients, attach_pdf=True)
    db.session.commit()
    return w
