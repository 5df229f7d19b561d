"""Canary sweep: nothing of customer B ever reaches a contact of customer A.

Two customers get rich data through the real services (models directly where no service
exists): invoices in every status with payments, credit notes, estimates (one converted),
proposals with comments, contracts, tickets with replies and attachments, projects with tasks,
task comments, milestones, discussions with comments and files, and contacts with various
permissions and toggles. Every text field of every record of customer B carries B's marker;
customer A's records carry A's marker (a positive control: the crawl must see them), and A's
internal records (drafts, hidden tasks, files, milestones and discussions) carry a third
marker that A's contacts must not see either. Notification emails are queued for both.

Then every contact of A logs in and crawls: from /dashboard it follows every same-site link
and redirect, and it requests every GET URL of the customer area built from the URL map with
the ids of every object of the database (both customers), PDFs and attachments included. No
response may contain B's marker (case-insensitively, PDF streams inflated), none may be a
5xx, and GET requests must change nothing in the database. Every email addressed to A's
contacts (subject, bodies, link, attachments) must be free of B's marker too.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import product

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.routing.converters import IntegerConverter

from core.catalogs import NOTIFICATION_KEYS, PERMISSION_KEYS, PROJECT_SETTING_KEYS
from core.document_kinds import DOCUMENT_KINDS_BY_KEY as DOCUMENT_KINDS
from core.extensions import db
from core.models import (
    Contact,
    Contract,
    CreditNote,
    CreditNoteItem,
    Discussion,
    Estimate,
    EstimateItem,
    Invoice,
    InvoiceItem,
    Milestone,
    OutboxEmail,
    Project,
    Proposal,
    ProposalComment,
    StoredFile,
    Task,
    Ticket,
    utcnow,
)
from core.notifications.notify import (
    notify_contract,
    notify_credit_note,
    notify_estimate,
    notify_invoice,
    notify_project,
    notify_task,
    notify_ticket,
)
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
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, PRIMARY_MANAGES_CONTACTS, set_settings
from core.services.tickets import add_contact_reply, add_staff_reply, open_ticket
from tests import factories

from .attack_helpers import changed_tables, crawl, inflate_pdf, login_contact, new_marker, searchable, snapshot

ALL = set(PERMISSION_KEYS)
ALL_NOTES = set(NOTIFICATION_KEYS)
CRAWL_LIMIT = 1500  # per contact; the real number is a few hundred


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 page in the sweep, reported with its URL
    # Every contact logs in once; keep the throttle out of the way of the sweep.
    app.config["LOGIN_LIMIT_PER_IP"] = "10000 per minute"
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "10000 per minute"
    return tmp_path


# -- building a customer's world --------------------------------------------------------------------


@dataclass
class World:
    """One customer's records: ``texts`` maps a label to each planted text (all carry ``marker``)."""

    marker: str
    internal: str  # marker of records the customer must not see (drafts, hidden items)
    customer: object = None
    contacts: dict[str, Contact] = field(default_factory=dict)
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


def _invoice(w: World, label: str, status: str, *, due_in: int = 14, text=None, **extra) -> Invoice:
    text = text or w.t
    today = date.today()
    invoice = Invoice(
        customer_id=w.customer.id,
        number=text(label),
        status=status,
        date=today - timedelta(days=1),
        due_date=today + timedelta(days=due_in),
        notes=text(f"{label}-notes"),
        items=_lines(InvoiceItem, w, label, text),
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

    def contact(role: str, permissions, notifications, **extra) -> Contact:
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
    note = CreditNote(
        customer_id=w.customer.id,
        number=w.t("cn1"),
        date=date.today(),
        invoice_id=paid.id,
        notes=w.t("cn1-notes"),
        items=_lines(CreditNoteItem, w, "cn1"),
    )
    note.recalculate()
    db.session.add(note)

    # Estimates: sent (in the project), accepted and converted to an invoice, declined, draft.
    def estimate(tag: str, status: str, text=w.t, **extra) -> Estimate:
        obj = Estimate(
            customer_id=w.customer.id,
            number=text(tag),
            status=status,
            date=date.today(),
            expiry_date=date.today() + timedelta(days=30),
            notes=text(f"{tag}-notes"),
            items=_lines(EstimateItem, w, tag, text),
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
    proposal = Proposal(
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
            Proposal(
                customer_id=w.customer.id,
                subject=w.t("prop-acc"),
                content=w.t("prop-acc-content"),
                date=date.today(),
                status="accepted",
                signer_name=w.t("prop-signer"),
                decided_at=utcnow(),
            ),
            Proposal(
                customer_id=w.customer.id,
                subject=w.hidden("prop-draft"),
                content=w.hidden("prop-draft-content"),
                date=date.today(),
                status="draft",
            ),
        ]
    )
    db.session.flush()
    db.session.add(ProposalComment(proposal_id=proposal.id, contact_id=colleague.id, body=w.t("pc-contact")))
    db.session.commit()
    add_proposal_comment(proposal, staff, w.t("pc-staff"))
    unsigned = Contract(
        customer_id=w.customer.id,
        project_id=project.id,
        subject=w.t("ctr-open"),
        content=w.t("ctr-open-content"),
        value=Decimal("1000"),
        start_date=date.today(),
        end_date=date.today() + timedelta(days=20),
    )
    signed = Contract(
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
    notify_invoice("invoice_sent", unpaid)
    notify_invoice("invoice_overdue", unpaid)
    notify_invoice("invoice_due_soon", unpaid)
    notify_credit_note("credit_note_sent", note)
    notify_estimate("estimate_sent", sent)
    notify_estimate("estimate_expiry_reminder", sent)
    notify_contract("contract_sent", unsigned)
    notify_contract("contract_expiry_reminder", unsigned)
    notify_ticket("ticket_staff_reply", tickets[0], w.t("tk1-mail"))
    notify_project("project_file_added", project, w.t("pfile-mail"))
    notify_task("task_commented", task, w.t("tc-mail"))
    queue_invitation(w.contacts["sales"])
    db.session.commit()
    recipients = {c.id for c in w.contacts.values()}
    for kind, document in (("invoice", unpaid), ("credit_note", note), ("estimate", sent), ("contract", unsigned)):
        send_document(DOCUMENT_KINDS[kind], document, recipients, attach_pdf=True)
    db.session.commit()
    return w


@pytest.fixture
def worlds(app):
    staff = factories.make_staff(email="canary-staff@example.com", name="Canary Staff")
    set_settings({PRIMARY_MANAGES_CONTACTS: "1", CONTACTS_SEE_ALL_TICKETS: "1"})
    a = build_world("A", staff)
    b = build_world("B", staff)
    db.session.expire_all()
    return a, b


# -- URLs from the URL map --------------------------------------------------------------------------

ARG_MODELS = {
    "invoice_id": Invoice,
    "credit_note_id": CreditNote,
    "estimate_id": Estimate,
    "contract_id": Contract,
    "proposal_id": Proposal,
    "ticket_id": Ticket,
    "project_id": Project,
    "task_id": Task,
    "milestone_id": Milestone,
    "discussion_id": Discussion,
    "file_id": StoredFile,
    "contact_id": Contact,
}


def url_map_urls(app) -> list[str]:
    """Every GET URL of the customer area with the ids of every object of the database.

    Each integer argument gets every id of the model it names (both customers' objects) and
    one id past the last; an integer argument of unknown meaning gets every id of every model.
    Rules with other arguments (the emailed tokens) are left out.
    """
    ids = {}
    for arg, model in ARG_MODELS.items():
        values = sorted(db.session.scalars(select(model.id)))
        ids[arg] = [*values, (values[-1] if values else 0) + 1]
    every_id = sorted({i for values in ids.values() for i in values})
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or "GET" not in rule.methods:
            continue
        args = sorted(rule.arguments - set(rule.defaults or {}))
        if any(not isinstance(rule._converters[arg], IntegerConverter) for arg in args):
            continue
        choices = [ids.get(arg, every_id) for arg in args]
        for combo in product(*choices):
            urls.append(adapter.build(rule.endpoint, {**(rule.defaults or {}), **dict(zip(args, combo, strict=True))}))
    return list(dict.fromkeys(urls))


# -- the sweep ---------------------------------------------------------------------------------------


def _find(text: str, marker: str) -> str | None:
    """The text around the first occurrence of ``marker`` (case-insensitive), or None."""
    index = text.lower().find(marker.lower())
    if index < 0:
        return None
    return text[max(0, index - 60) : index + len(marker) + 40]


def _sweep(app, a: World, b: World, role: str, urls: list[str]):
    contact = a.contacts[role]
    client = app.test_client()
    login_contact(client, contact.email)
    before = snapshot()
    result = crawl(client, ["/dashboard", *urls], limit=CRAWL_LIMIT)
    after = snapshot()
    problems = []
    if result.truncated:
        problems.append(f"{role}: crawl stopped at {CRAWL_LIMIT} URLs")
    if changed_tables(before, after):
        problems.append(f"{role}: GET requests changed tables {changed_tables(before, after)}")
    seen = []
    for page in result.pages:
        if page.status >= 500:
            problems.append(f"{role}: {page.url} -> {page.status}")
        text = page.text + "\n" + page.headers.get("Content-Disposition", "") + page.headers.get("Location", "")
        for marker, what in ((b.marker, "customer B's data"), (a.internal, "A's internal data")):
            if (snippet := _find(text, marker)) is not None:
                problems.append(f"{role}: {page.url} ({page.status}) shows {what}: ...{snippet}...")
        seen.append(text.lower())
    return result, problems, "\n".join(seen)


# What every contact of A must see of its own customer (the crawl really reaches the data).
VISIBLE_TO = {
    "primary": {
        "company",
        "vat",
        "primary-first",
        "colleague-last",
        "inv-unpaid",
        "inv-unpaid-l1",
        "inv-unpaid-notes",
        "inv-overdue",
        "inv-partly",
        "pay1-m",
        "inv-paid",
        "inv-conv",
        "cn1",
        "cn1-l2",
        "est-sent",
        "est-sent-l1",
        "est-acc",
        "prop-open",
        "prop-open-content",
        "pc-contact",
        "pc-staff",
        "ctr-open",
        "ctr-open-content",
        "ctr-signed",
        "tk1",
        "tk1-msg",
        "tk1-staff",
        "tk1-reply",
        "tk1-att",
        "tk1-att-bytes",
        "tk2",
        "tk3-satt-b",
        "dept",
        "proj1",
        "proj1-desc",
        "proj2",
        "task1",
        "tc-contact",
        "tc-staff",
        "ms1",
        "disc1",
        "dc-contact",
        "dc-staff",
        "pfile",
        "pfile-bytes",
        "cfile-bytes",
    },
    "colleague": {"inv-unpaid", "tk1", "tk2-att-bytes", "task1", "pfile-bytes", "prop-open"},
    "billing": {"inv-unpaid", "inv-unpaid-l1", "cn1", "tk3", "tk1", "tk3-satt-b"},
    "builder": {"proj1", "task1", "tc-staff", "ms1", "disc1", "pfile-bytes", "tk2"},
    "sales": {"est-sent", "est-sent-l1", "ctr-open-content", "prop-open", "pc-staff"},
}


@pytest.mark.parametrize("role", sorted(VISIBLE_TO))
def test_contact_of_a_never_sees_customer_b(app, worlds, role):
    a, b = worlds
    urls = url_map_urls(app)
    result, problems, seen = _sweep(app, a, b, role, urls)

    assert not problems, "\n".join(problems)
    missing = sorted(label for label in VISIBLE_TO[role] if a.texts[label].lower() not in seen)
    assert not missing, f"{role} never saw its own {missing}: the crawl does not reach the data"
    downloads = [p for p in result.pages if p.status == 200 and not p.is_html]
    assert downloads, "no PDF or attachment was downloaded"
    assert len(result.pages) > 50


def test_emails_to_contacts_of_a_never_show_customer_b(app, worlds):
    a, b = worlds
    addresses = {c.email for c in a.contacts.values()}
    ids = {c.id for c in a.contacts.values()}
    emails = db.session.scalars(
        select(OutboxEmail).where((OutboxEmail.contact_id.in_(ids)) | (OutboxEmail.to_address.in_(addresses)))
    ).all()
    others = db.session.scalars(select(OutboxEmail).where(OutboxEmail.contact_id.not_in(ids))).all()
    assert len(emails) >= 30 and others, "the worlds queued too few emails to check"

    problems, seen = [], []
    for email in emails:
        parts = {
            "to": f"{email.to_name} <{email.to_address}> cc {email.cc}",
            "subject": email.subject,
            "text": email.text_body,
            "html": email.html_body,
            "link": f"{email.link} {email.unsubscribe_url}",
        }
        for attachment in email.attachments:
            parts[f"attachment {attachment.filename}"] = attachment.filename + searchable(attachment.data)
            if attachment.data.startswith(b"%PDF"):
                assert inflate_pdf(attachment.data) != attachment.data
        for part, text in parts.items():
            for marker, what in ((b.marker, "customer B's data"), (a.internal, "A's internal data")):
                if (snippet := _find(text, marker)) is not None:
                    problems.append(
                        f"email #{email.id} {email.event} to {email.to_address}, {part} shows {what}: ...{snippet}..."
                    )
            seen.append(text.lower())
    assert not problems, "\n".join(problems)
    seen_text = "\n".join(seen)
    for label in ("inv-unpaid", "cn1", "est-sent", "ctr-open", "tk1", "tk1-mail", "proj1", "tc-mail", "company"):
        assert a.texts[label].lower() in seen_text, f"no email to A shows its own {label}"
    # The attached PDFs were searched inflated: A's own line items are found in them.
    assert a.texts["inv-unpaid-l1"].lower() in seen_text
