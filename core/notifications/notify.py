"""``notify_<thing>()`` functions: queue an event's email to exactly the contacts who get it.

They only add outbox rows to the current transaction; the calling service commits, so the
emails exist if and only if the change that caused them does.
"""

from __future__ import annotations

from core.mail.outbox import Attachment, queue_email, queue_staff_email
from core.models import Contact, Contract, CreditNote, Estimate, Invoice, OutboxEmail, Project, Task, Ticket

from .events import EVENTS
from .recipients import recipients_for, staff_recipients


def notify(
    event_key: str,
    customer_id: int,
    *,
    link_values: dict,
    context: dict,
    only_contact_id: int | None = None,
    attachments: tuple[Attachment, ...] = (),
    author=None,
    recipients: list[Contact] | None = None,
) -> list[OutboxEmail]:
    """Queue ``event_key`` for every contact ``recipients_for`` names; returns the rows.

    ``author`` (a contact or staff user who caused the event) never gets its own email.
    ``recipients``: what ``recipients_for`` (or ``recipients_by_customer``) already returned
    for this customer and event, when a caller queues many documents of one customer.
    """
    contacts = event_recipients(
        event_key, customer_id, only_contact_id=only_contact_id, author=author, recipients=recipients
    )
    return [
        queue_email(event_key, contact, link_values=link_values, context=context, attachments=attachments)
        for contact in contacts
    ]


def event_recipients(
    event_key: str,
    customer_id: int,
    *,
    only_contact_id: int | None = None,
    author=None,
    recipients: list[Contact] | None = None,
) -> list[Contact]:
    """The contacts ``notify`` queues ``event_key`` to, in its order: ``recipients_for`` the
    event's toggle (or the given ``recipients``), narrowed to ``only_contact_id``, without a
    contact ``author``. Forms call it to name, before saving, who the save will email.
    """
    event = EVENTS[event_key]
    if not event.notification:
        raise ValueError(f"{event_key} is a personal email, not a notification")
    if recipients is None:
        contacts = recipients_for(customer_id, event.notification, only_contact_id=only_contact_id)
    else:
        contacts = [c for c in recipients if only_contact_id is None or c.id == only_contact_id]
    if isinstance(author, Contact):
        contacts = [contact for contact in contacts if contact.id != author.id]
    return contacts


def recipients_by_event(customer_id: int, *event_keys: str) -> dict[str, list[Contact]]:
    """``{key: event_recipients(key, customer_id)}``, asking once per notification toggle: what
    a page with several emailing forms names beside them."""
    by_toggle: dict[str, list[Contact]] = {}
    found: dict[str, list[Contact]] = {}
    for key in event_keys:
        toggle = EVENTS[key].notification
        if toggle not in by_toggle:
            by_toggle[toggle] = event_recipients(key, customer_id)
        found[key] = by_toggle[toggle]
    return found


def notify_invoice(
    event_key: str, invoice: Invoice, *, recipients: list[Contact] | None = None, **context
) -> list[OutboxEmail]:
    """invoice_sent, invoice_overdue, invoice_due_soon or payment_recorded."""
    return notify(
        event_key,
        invoice.customer_id,
        link_values={"invoice_id": invoice.id},
        context={"invoice": invoice, **context},
        recipients=recipients,
    )


def notify_credit_note(event_key: str, note: CreditNote) -> list[OutboxEmail]:
    return notify(event_key, note.customer_id, link_values={"credit_note_id": note.id}, context={"note": note})


def notify_estimate(
    event_key: str, estimate: Estimate, *, recipients: list[Contact] | None = None
) -> list[OutboxEmail]:
    """estimate_sent, estimate_expiry_reminder or estimate_decided."""
    return notify(
        event_key,
        estimate.customer_id,
        link_values={"estimate_id": estimate.id},
        context={"estimate": estimate},
        recipients=recipients,
    )


def notify_contract(
    event_key: str, contract: Contract, *, recipients: list[Contact] | None = None
) -> list[OutboxEmail]:
    """contract_sent or contract_expiry_reminder."""
    return notify(
        event_key,
        contract.customer_id,
        link_values={"contract_id": contract.id},
        context={"contract": contract},
        recipients=recipients,
    )


def notify_ticket(event_key: str, ticket: Ticket, message: str = "") -> list[OutboxEmail]:
    """Ticket emails go to ``ticket_recipients``: the ticket's own contact, if its toggle allows."""
    return notify(
        event_key,
        ticket.customer_id,
        link_values={"ticket_id": ticket.id},
        context={"ticket": ticket, "message": message},
        recipients=ticket_recipients(event_key, ticket),
    )


def notify_project(event_key: str, project: Project, detail: str = "", *, author=None) -> list[OutboxEmail]:
    """project_created, project_finished, project_file_added or project_discussion."""
    return notify(
        event_key,
        project.customer_id,
        link_values={"project_id": project.id},
        context={"project": project, "detail": detail},
        author=author,
    )


def notify_task(event_key: str, task: Task, detail: str = "", *, author=None) -> list[OutboxEmail]:
    """task_created, task_commented or task_status_changed; internal tasks never email customers."""
    if not task.visible_to_customer:
        return []
    project = task.project
    return notify(
        event_key,
        project.customer_id,
        link_values={"project_id": project.id, "task_id": task.id},  # the task's own page
        context={"project": project, "task": task, "detail": detail},
        author=author,
    )


def ticket_recipients(event_key: str, ticket: Ticket) -> list[Contact]:
    """Who ``notify_ticket(event_key, ticket)`` emails: the ticket's own contact, if its toggle
    and permission allow; nobody for a ticket without a contact."""
    if ticket.contact_id is None:  # no contact: nobody, not the whole customer
        return []
    return event_recipients(event_key, ticket.customer_id, only_contact_id=ticket.contact_id)


def notify_staff(event_key: str, *, link_values: dict, context: dict, customer_id: int | None) -> list[OutboxEmail]:
    """Queue a staff email (``staff_*`` events) to every active administrator."""
    return [
        queue_staff_email(event_key, staff, link_values=link_values, context=context, customer_id=customer_id)
        for staff in staff_recipients()
    ]
