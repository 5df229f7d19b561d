"""Demo data that tells the product's story (see PRODUCT.md, "Demo data that tells the story").

Dates are relative to today so that "overdue" and "due soon" stay true whenever it is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.catalogs import DEFAULT_PROJECT_SETTINGS, NOTIFICATIONS, PERMISSIONS
from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.extensions import db
from core.models import (
    Contract,
    CreditNote,
    CreditNoteItem,
    Customer,
    Department,
    Discussion,
    DiscussionComment,
    Estimate,
    EstimateItem,
    Invoice,
    InvoiceItem,
    Milestone,
    Payment,
    Project,
    ProjectSettingRow,
    Proposal,
    ProposalComment,
    StaffUser,
    Task,
    TaskComment,
    Ticket,
    TicketReply,
    utcnow,
)
from core.services.accounts import create_staff
from core.services.bank_details import BankDetails
from core.services.contacts import ContactData, create_contact
from core.services.numbering import format_number
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings

# The documented demo login (README); demo data is never loaded in production.
PASSWORD = "demo-pass-2026"  # nosec B105
ALL_PERMS = {p.key for p in PERMISSIONS}
ALL_NOTES = {n.key for n in NOTIFICATIONS}

DEMO_LOGINS = {
    "password": PASSWORD,
    "accounts": [
        ("admin", "admin@example.com", "staff administrator"),
        ("portal", "anna@acme.example", "Acme primary contact: every feature, the only one with Project/Task emails"),
        ("portal", "david@acme.example", "Acme: Projects only, no project emails"),
        ("portal", "sam@globex.example", "Globex: Support only"),
        ("portal", "ivy@globex.example", "Globex: Invoices only"),
        ("portal", "olga@solo.example", "Solo Bakery's only contact: Invoice emails off"),
    ],
}


# How many times ``load_demo`` calls ``progress`` (the length of ``flask seed-demo``'s bar).
DEMO_STEPS = 6


def load_demo(progress: Callable[[str], None] = lambda _msg: None) -> bool:
    """Create the demo data and commit; returns False (and changes nothing) if it is present."""
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == "admin@example.com")):
        return False
    today = date.today()
    # Let Acme's primary contact show colleague management in the customer area, and open
    # invoices show bank transfer with a GiroCode (a well-known test IBAN, valid check digits).
    demo_bank = BankDetails("Northwind Services GmbH", "DE89370400440532013000", "COBADEFFXXX")
    set_settings({PRIMARY_MANAGES_CONTACTS: "1", **demo_bank.as_settings()})
    progress("Creating staff administrator...")
    admin = create_staff("admin@example.com", "Alex Admin", PASSWORD)

    progress("Creating Acme Builders (five contacts with Projects, one gets project emails)...")
    acme = _customer("Acme Builders GmbH", "DE811907980", "Berlin", "https://acme.example")
    anna = _contact(
        acme, "Anna", "Schmidt", "anna@acme.example", "Managing Director", ALL_PERMS, ALL_NOTES, primary=True
    )
    ben = _contact(acme, "Ben", "Keller", "ben@acme.example", "Site Manager", {"projects", "support"}, {"ticket"})
    _contact(
        acme, "Clara", "Wolf", "clara@acme.example", "Accountant", {"projects", "invoices"}, {"invoice", "credit_note"}
    )
    _contact(acme, "David", "Braun", "david@acme.example", "Architect", {"projects"}, set())
    _contact(acme, "Eva", "Richter", "eva@acme.example", "Purchasing", {"projects", "estimates"}, {"estimate"})

    progress("Creating Globex Consulting (contacts with different permission sets)...")
    globex = _customer("Globex Consulting AG", "DE129273398", "Munich", "https://globex.example")
    gina = _contact(globex, "Gina", "Hoffmann", "gina@globex.example", "CEO", ALL_PERMS, ALL_NOTES, primary=True)
    sam = _contact(globex, "Sam", "Fischer", "sam@globex.example", "IT Support", {"support"}, {"ticket"})
    _contact(globex, "Ivy", "Weber", "ivy@globex.example", "Bookkeeping", {"invoices"}, {"invoice"})

    progress("Creating Solo Bakery (one contact, Invoice emails off)...")
    solo = _customer("Solo Bakery", "DE300400500", "Hamburg", "")
    _contact(solo, "Olga", "Becker", "olga@solo.example", "Owner", ALL_PERMS, ALL_NOTES - {"invoice"}, primary=True)

    progress("Creating invoices, credit notes, estimates, proposals and contracts...")
    numbers = iter(range(1, 10_000))

    def number(key: str) -> str:
        """The next demo number of the kind ``key``, in the registry's format (``INV-2026-0001``)."""
        return format_number(DOCUMENT_KINDS_BY_KEY[key].number_prefix, today.year, next(numbers))

    for customer in (acme, globex, solo):
        for status, age, paid_part in (
            ("draft", 2, 0),
            ("unpaid", 5, 0),
            ("partially_paid", 20, Decimal("0.4")),
            ("paid", 60, 1),
            ("unpaid", 45, 0),  # past due: shown as overdue
            ("cancelled", 90, 0),
        ):
            _invoice(customer, number("invoice"), status, today - timedelta(days=age), paid_part)
    for customer in (acme, globex):
        _credit_note(customer, number("credit_note"), today - timedelta(days=10))
        for status in ("sent", "accepted", "declined", "draft"):
            _estimate(customer, number("estimate"), status, today)
        db.session.add_all(
            [
                Proposal(
                    customer_id=customer.id,
                    subject="Website relaunch",
                    total=Decimal("12500"),
                    content="Design, build and launch of the new website in three phases.",
                    date=today - timedelta(days=7),
                    open_till=today + timedelta(days=23),
                    status="open",
                ),
                Proposal(
                    customer_id=customer.id,
                    subject="Maintenance plan 2026",
                    total=Decimal("4800"),
                    content="Monthly maintenance, updates and 4 hours of support.",
                    date=today - timedelta(days=40),
                    open_till=today - timedelta(days=10),
                    status="accepted",
                ),
                Contract(
                    customer_id=customer.id,
                    subject="Framework agreement",
                    value=Decimal("36000"),
                    content="Terms of the framework agreement for all projects.",
                    start_date=today - timedelta(days=200),
                    end_date=today + timedelta(days=165),
                    signer_name=customer.contacts[0].full_name,
                    signed_at=utcnow(),
                    signer_ip="203.0.113.7",
                ),
                Contract(
                    customer_id=customer.id,
                    subject="Service level agreement",
                    value=Decimal("9600"),
                    content="Response times, availability and escalation.",
                    start_date=today,
                    end_date=today + timedelta(days=365),
                ),
            ]
        )

    db.session.add_all(Department(name=name) for name in ("General", "Billing", "Facilities", "IT"))
    progress("Creating projects with tasks and tickets with replies...")
    for customer, opener in ((acme, ben), (globex, sam)):
        for name, status, progress_pct in (
            ("Office extension", "in_progress", 45),
            ("Parking deck", "not_started", 0),
            ("Reception redesign", "finished", 100),
        ):
            about = f"{name} for {customer.company}."  # demo data, English like every demo row
            project = Project(
                customer_id=customer.id,
                name=name,
                status=status,
                progress=progress_pct,
                description=about,
                start_date=today - timedelta(days=30),
                deadline=today + timedelta(days=60),
            )
            project.tasks = [
                Task(name="Kick-off meeting", status="complete", visible_to_customer=True),
                Task(
                    name="Approve floor plans",
                    status="awaiting_feedback",
                    visible_to_customer=True,
                    due_date=today + timedelta(days=5),
                ),
                Task(name="Internal cost review", status="in_progress", visible_to_customer=False),
            ]
            db.session.add(project)
            db.session.flush()
            db.session.add_all(
                [
                    *(
                        ProjectSettingRow(project_id=project.id, setting=key)
                        for key in sorted(DEFAULT_PROJECT_SETTINGS)
                    ),
                    Milestone(project_id=project.id, name="Design approved", due_date=today + timedelta(days=14)),
                    Milestone(project_id=project.id, name="Handover", due_date=today + timedelta(days=60)),
                    TaskComment(
                        task_id=project.tasks[1].id, staff_id=admin.id, body="Plans are uploaded, please review."
                    ),
                ]
            )
            subject, question = "Choice of materials", "Oak or walnut?"
            discussion = Discussion(project_id=project.id, subject=subject, description=question)
            discussion.comments = [
                DiscussionComment(staff_id=admin.id, body="We recommend oak for the reception desk."),
                DiscussionComment(contact_id=opener.id, body="Oak sounds good to us."),
            ]
            db.session.add(discussion)
        ticket = Ticket(
            customer_id=customer.id,
            contact_id=opener.id,
            subject="Access card does not work",
            department="Facilities",
            priority="high",
            status="answered",
        )
        ticket.replies = [
            TicketReply(contact_id=opener.id, body="My access card stopped working this morning."),
            TicketReply(staff_id=admin.id, body="We have reset the card. Please try again."),
        ]
        db.session.add(ticket)
        db.session.add(
            Ticket(
                customer_id=customer.id,
                contact_id=(anna if customer is acme else gina).id,
                subject="Question about invoice",
                department="Billing",
                priority="low",
                status="open",
                replies=[TicketReply(contact_id=opener.id, body="Could you send a copy with our PO number?")],
            )
        )
    db.session.flush()
    for proposal in db.session.scalars(select(Proposal).where(Proposal.status == "open")):
        db.session.add(
            ProposalComment(proposal_id=proposal.id, staff_id=admin.id, body="Happy to walk you through phase one.")
        )
    db.session.commit()
    return True


def _customer(company: str, vat: str, city: str, website: str) -> Customer:
    customer = Customer(
        company=company,
        vat_number=vat,
        city=city,
        country="Germany",
        website=website,
        phone="+49 30 123456",
        address="Hauptstraße 1",
        zip_code="10115",
    )
    db.session.add(customer)
    db.session.flush()
    return customer


def _contact(customer, first, last, email, position, perms, notes, primary=False):
    return create_contact(
        customer,
        ContactData(
            first_name=first,
            last_name=last,
            email=email,
            position=position,
            password=PASSWORD,
            is_primary=primary,
            permissions=set(perms),
            notifications=set(notes),
        ),
    )


# Demo line items (data, not interface text): description, quantity, unit price.
DEMO_ITEMS = (("Consulting (hours)", "12", "95"), ("Materials", "1", "480"))


def _items(model):
    return [
        model(
            position=position,
            description=text,
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            tax_rate=Decimal("19"),
        )
        for position, (text, quantity, price) in enumerate(DEMO_ITEMS, 1)
    ]


def _invoice(customer, number, status, issued, paid_part):
    invoice = Invoice(
        customer_id=customer.id,
        number=number,
        status=status,
        date=issued,
        due_date=issued + timedelta(days=14),
        items=_items(InvoiceItem),
        discount=Decimal("0"),
    )
    invoice.recalculate()
    if paid_part:
        amount = (invoice.total * Decimal(paid_part)).quantize(Decimal("0.01"))
        invoice.payments = [Payment(amount=amount, date=issued + timedelta(days=10))]
        invoice.amount_paid = amount
    db.session.add(invoice)


def _credit_note(customer, number, issued):
    note = CreditNote(customer_id=customer.id, number=number, date=issued, items=_items(CreditNoteItem)[:1])
    note.recalculate()
    db.session.add(note)


def _estimate(customer, number, status, today):
    estimate = Estimate(
        customer_id=customer.id,
        number=number,
        status=status,
        date=today - timedelta(days=3),
        expiry_date=today + timedelta(days=27),
        items=_items(EstimateItem),
    )
    estimate.recalculate()
    db.session.add(estimate)
