"""Small factory functions that build records through the real services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from core import models
from core.catalogs import DEFAULT_PROJECT_SETTINGS, NOTIFICATION_KEYS, PERMISSION_KEYS
from core.extensions import db
from core.services.accounts import create_staff
from core.services.contacts import ContactData, create_contact
from core.services.customers import save_customer

PASSWORD = "correct horse battery"
ALL_PERMISSIONS = set(PERMISSION_KEYS)
ALL_NOTIFICATIONS = set(NOTIFICATION_KEYS)
_seq = count(1)


def make_staff(email: str | None = None, name: str = "Staff Member"):
    return create_staff(email or f"staff{next(_seq)}@example.com", name, PASSWORD)


def make_customer(company: str | None = None, **values) -> models.Customer:
    return save_customer(None, {"company": company or f"Customer {next(_seq)}", **values})


def make_contact(customer: models.Customer | None = None, *, permissions=None, notifications=None, **fields):
    customer = customer or make_customer()
    n = next(_seq)
    data = ContactData(
        first_name=fields.pop("first_name", "Contact"),
        last_name=fields.pop("last_name", str(n)),
        email=fields.pop("email", f"contact{n}@example.com"),
        password=fields.pop("password", PASSWORD),
        permissions=set(ALL_PERMISSIONS if permissions is None else permissions),
        notifications=set(notifications or ()),
        **fields,
    )
    return create_contact(customer, data)


def contact_data(contact, **changes) -> ContactData:
    """The ContactData that keeps everything of ``contact`` (no password), except ``changes``."""
    kept = ("first_name", "last_name", "email", "phone", "position", "is_primary", "active")
    values = {name: getattr(contact, name) for name in kept}
    values |= {"permissions": set(contact.permissions), "notifications": set(contact.notifications)}
    return ContactData(**(values | changes))


def _items(model):
    return [
        model(position=1, description="Work", quantity=Decimal("2"), unit_price=Decimal("50"), tax_rate=Decimal("19"))
    ]


def make_invoice(customer, *, status="unpaid", due_in_days=14, number=None):
    today = date.today()
    invoice = models.Invoice(
        customer_id=customer.id,
        number=number or f"INV-T{next(_seq):05d}",
        status=status,
        date=today - timedelta(days=1),
        due_date=today + timedelta(days=due_in_days),
        items=_items(models.InvoiceItem),
    )
    invoice.recalculate()
    db.session.add(invoice)
    db.session.commit()
    return invoice


def make_priced_invoice(customer, *, number, total, issued, due=None, status="unpaid", paid=(), currency="EUR"):
    """An invoice of one untaxed line of ``total``, issued and due as given, with ``paid``
    payments ``(amount, date)`` recorded on it."""
    invoice = models.Invoice(customer_id=customer.id, number=number, status=status, date=issued, due_date=due)
    invoice.currency = currency
    line = {"description": "Work", "quantity": Decimal("1"), "unit_price": Decimal(total), "tax_rate": Decimal("0")}
    invoice.items = [models.InvoiceItem(position=1, **line)]
    invoice.recalculate()
    invoice.payments = [models.Payment(amount=Decimal(amount), date=on) for amount, on in paid]
    invoice.amount_paid = sum((Decimal(amount) for amount, _ in paid), Decimal("0"))
    db.session.add(invoice)
    db.session.commit()
    return invoice


def make_credit_note(customer):
    note = models.CreditNote(
        customer_id=customer.id, number=f"CN-T{next(_seq):05d}", date=date.today(), items=_items(models.CreditNoteItem)
    )
    note.recalculate()
    db.session.add(note)
    db.session.commit()
    return note


def make_estimate(customer, status="sent"):
    estimate = models.Estimate(
        customer_id=customer.id,
        number=f"EST-T{next(_seq):05d}",
        status=status,
        date=date.today(),
        items=_items(models.EstimateItem),
    )
    estimate.recalculate()
    db.session.add(estimate)
    db.session.commit()
    return estimate


def make_contract(customer, subject="Service contract"):
    contract = models.Contract(customer_id=customer.id, subject=subject, content="Terms", start_date=date.today())
    db.session.add(contract)
    db.session.commit()
    return contract


def make_proposal(customer, status="open", subject="Proposal"):
    proposal = models.Proposal(
        customer_id=customer.id, subject=subject, content="Offer", date=date.today(), status=status
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def make_ticket(customer, contact=None, subject="Help needed"):
    ticket = models.Ticket(customer_id=customer.id, contact_id=contact.id if contact else None, subject=subject)
    ticket.replies = [models.TicketReply(contact_id=contact.id if contact else None, body="Please help")]
    db.session.add(ticket)
    db.session.commit()
    return ticket


def make_project(customer, name="Project", tasks=(), settings=DEFAULT_PROJECT_SETTINGS):
    """A project with the default customer settings (tabs) switched on, like one staff create."""
    project = models.Project(customer_id=customer.id, name=name, start_date=date.today())
    project.tasks = [models.Task(name=t, visible_to_customer=visible) for t, visible in tasks]
    db.session.add(project)
    db.session.flush()
    db.session.add_all(models.ProjectSettingRow(project_id=project.id, setting=key) for key in sorted(settings))
    db.session.commit()
    return project


def make_webhook_endpoint(receiver=None, *, url=None, events=None, active=True, actor=None):
    """An endpoint registered through the service (the SSRF check included), subscribed to
    ``events`` (default: every event); a ``receiver`` (tests/webhook_receiver.py) is its URL and
    learns its secret."""
    from core.services.webhooks import EndpointData, create_endpoint
    from core.webhooks.events import WEBHOOK_EVENTS

    data = EndpointData(
        url=url or receiver.url, events=set(WEBHOOK_EVENTS if events is None else events), active=active
    )
    endpoint = create_endpoint(data, actor=actor)
    if receiver is not None:
        receiver.secret = endpoint.secret
    return endpoint
