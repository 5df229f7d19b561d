"""Every webhook event the portal sends: its type, its label and what its payload says.

The one catalog of webhook events: the admin form's checkboxes, the services' ``emit`` calls,
the README's list and the tests (one real action per event) all come from ``WEBHOOK_EVENTS``.

A payload is ``{"type": <event>, "timestamp": <ISO 8601 UTC>, "data": {...}}``. ``data`` holds
ids, numbers, statuses, dates (ISO 8601), amounts as strings with two decimals (never floats),
the customer's id and the customer-area URL of the object (built from ``PUBLIC_BASE_URL``).
Message texts, comments and personal notes are never included: receivers fetch what they need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from core.i18n import _l
from core.mail.links import public_url
from core.models import Contact, Contract, Estimate, Invoice, Payment, Project, Proposal, Ticket, money


def iso(value: date | datetime | None) -> str | None:
    """A date as ``YYYY-MM-DD``, a (naive UTC) time as ``YYYY-MM-DDTHH:MM:SSZ``, None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


def amount(value) -> str:
    """An amount as a string with two decimals (``"120.50"``): exact, unlike a JSON number."""
    return str(money(value))


def contact_data(contact: Contact, *, changed: tuple[str, ...] = ()) -> dict:
    data = {
        "id": contact.id,
        "customer_id": contact.customer_id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "position": contact.position,
        "language": contact.language,
        "is_primary": contact.is_primary,
        "active": contact.active,
        "permissions": sorted(contact.permissions),
        "notifications": sorted(contact.notifications),
    }
    if changed:
        data["changed"] = list(changed)
    return data


def invoice_data(invoice: Invoice) -> dict:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "customer_id": invoice.customer_id,
        "project_id": invoice.project_id,
        "status": invoice.status,
        "date": iso(invoice.date),
        "due_date": iso(invoice.due_date),
        "currency": invoice.currency,
        "subtotal": amount(invoice.subtotal),
        "tax_total": amount(invoice.tax_total),
        "discount": amount(invoice.discount),
        "total": amount(invoice.total),
        "amount_paid": amount(invoice.amount_paid),
        "balance": amount(invoice.balance),
        "sent_at": iso(invoice.sent_at),
        "url": public_url("portal.invoices.detail", invoice_id=invoice.id),
    }


def payment_data(payment: Payment, *, invoice: Invoice) -> dict:
    return {
        "id": payment.id,
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "customer_id": invoice.customer_id,
        "amount": amount(payment.amount),
        "currency": invoice.currency,
        "date": iso(payment.date),
        "method": payment.method,
        "kind": payment.kind,
        "invoice_status": invoice.status,
        "invoice_balance": amount(invoice.balance),
        "url": public_url("portal.invoices.detail", invoice_id=invoice.id),
    }


def estimate_data(estimate: Estimate) -> dict:
    return {
        "id": estimate.id,
        "number": estimate.number,
        "customer_id": estimate.customer_id,
        "project_id": estimate.project_id,
        "status": estimate.status,
        "date": iso(estimate.date),
        "expiry_date": iso(estimate.expiry_date),
        "currency": estimate.currency,
        "total": amount(estimate.total),
        "signer_name": estimate.signer_name,
        "decided_at": iso(estimate.decided_at),
        "url": public_url("portal.estimates.detail", estimate_id=estimate.id),
    }


def proposal_data(proposal: Proposal) -> dict:
    return {
        "id": proposal.id,
        "subject": proposal.subject,
        "customer_id": proposal.customer_id,
        "project_id": proposal.project_id,
        "status": proposal.status,
        "date": iso(proposal.date),
        "open_till": iso(proposal.open_till),
        "currency": proposal.currency,
        "total": amount(proposal.total),
        "signer_name": proposal.signer_name,
        "decided_at": iso(proposal.decided_at),
        "url": public_url("portal.proposals.detail", proposal_id=proposal.id),
    }


def contract_data(contract: Contract) -> dict:
    return {
        "id": contract.id,
        "subject": contract.subject,
        "customer_id": contract.customer_id,
        "project_id": contract.project_id,
        "currency": contract.currency,
        "value": amount(contract.value),
        "start_date": iso(contract.start_date),
        "end_date": iso(contract.end_date),
        "signer_name": contract.signer_name,
        "signed_at": iso(contract.signed_at),
        "url": public_url("portal.contracts.detail", contract_id=contract.id),
    }


def ticket_data(ticket: Ticket, *, reply=None) -> dict:
    data = {
        "id": ticket.id,
        "subject": ticket.subject,
        "customer_id": ticket.customer_id,
        "contact_id": ticket.contact_id,
        "project_id": ticket.project_id,
        "department": ticket.department,
        "priority": ticket.priority,
        "status": ticket.status,
        "url": public_url("portal.tickets.detail", ticket_id=ticket.id),
    }
    if reply is not None:
        data["reply"] = {
            "id": reply.id,
            "author": "staff" if reply.staff_id is not None else "contact",
            "contact_id": reply.contact_id,
            "staff_id": reply.staff_id,
            "created_at": iso(reply.created_at),
        }
    return data


def project_data(project: Project, *, previous_status: str | None = None) -> dict:
    return {
        "id": project.id,
        "name": project.name,
        "customer_id": project.customer_id,
        "status": project.status,
        "previous_status": previous_status,
        "progress": project.progress,
        "start_date": iso(project.start_date),
        "deadline": iso(project.deadline),
        "url": public_url("portal.projects.detail", project_id=project.id),
    }


@dataclass(frozen=True)
class WebhookEvent:
    """One event type: ``key`` (the payload's ``type``), its label for staff, the model it is
    about, and ``data(obj, **context)`` building the payload's ``data``."""

    key: str
    label: object  # a lazy translated string
    model: type
    data: Callable[..., dict]
    description: object


WEBHOOK_EVENTS: dict[str, WebhookEvent] = {
    event.key: event
    for event in (
        WebhookEvent(
            "contact.created", _l("Contact created"), Contact, contact_data, _l("A contact was added to a customer.")
        ),
        WebhookEvent(
            "contact.updated",
            _l("Contact updated"),
            Contact,
            contact_data,
            _l("A contact's name, email address, phone, position, language or primary flag changed."),
        ),
        WebhookEvent(
            "contact.access_changed",
            _l("Contact access changed"),
            Contact,
            contact_data,
            _l("A contact's permissions, email notifications or active status changed."),
        ),
        WebhookEvent(
            "invoice.created", _l("Invoice created"), Invoice, invoice_data, _l("An invoice was created (as a draft).")
        ),
        WebhookEvent(
            "invoice.sent", _l("Invoice sent"), Invoice, invoice_data, _l("An invoice was emailed to the customer.")
        ),
        WebhookEvent("invoice.paid", _l("Invoice paid"), Invoice, invoice_data, _l("An invoice became fully paid.")),
        WebhookEvent(
            "payment.received",
            _l("Payment received"),
            Payment,
            payment_data,
            _l("A payment was booked on an invoice (recorded by staff or paid by card)."),
        ),
        WebhookEvent(
            "estimate.accepted", _l("Estimate accepted"), Estimate, estimate_data, _l("An estimate was accepted.")
        ),
        WebhookEvent(
            "estimate.declined", _l("Estimate declined"), Estimate, estimate_data, _l("An estimate was declined.")
        ),
        WebhookEvent(
            "proposal.accepted", _l("Proposal accepted"), Proposal, proposal_data, _l("A proposal was accepted.")
        ),
        WebhookEvent(
            "proposal.declined", _l("Proposal declined"), Proposal, proposal_data, _l("A proposal was declined.")
        ),
        WebhookEvent(
            "contract.signed", _l("Contract signed"), Contract, contract_data, _l("A contact signed a contract.")
        ),
        WebhookEvent("ticket.opened", _l("Ticket opened"), Ticket, ticket_data, _l("A contact opened a ticket.")),
        WebhookEvent(
            "ticket.replied",
            _l("Ticket replied"),
            Ticket,
            ticket_data,
            _l("A contact or staff member replied to a ticket."),
        ),
        WebhookEvent(
            "project.status_changed",
            _l("Project status changed"),
            Project,
            project_data,
            _l("A project's status changed."),
        ),
    )
}

WEBHOOK_EVENT_KEYS = tuple(WEBHOOK_EVENTS)
