"""Translated names for the values stored in the database (statuses, priorities, events...).

Templates show a stored value with ``{{ value|label }}``; the value itself stays English and
stable in the database, and the reader sees it in their language. Each English label is what
the fallback (``value.replace("_", " ").capitalize()``) gives, so English pages read the same
with or without an entry; ``tests/unit/test_labels.py`` checks that every stored status,
priority, email event and notification has one.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from core.catalogs import PERMISSIONS
from core.document_kinds import DOCUMENT_KINDS
from core.i18n import _l, current_language

LABELS = {
    # Statuses of sales documents (invoice, credit note, estimate, proposal) and derived ones.
    "draft": _l("Draft"),
    "unpaid": _l("Unpaid"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "cancelled": _l("Cancelled"),
    "overdue": _l("Overdue"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "open": _l("Open"),
    "closed": _l("Closed"),
    "void": _l("Void"),
    # Contracts (derived from the signature).
    "signed": _l("Signed"),
    "not_signed": _l("Not signed"),
    # Tickets, projects and tasks.
    "in_progress": _l("In progress"),
    "answered": _l("Answered"),
    "on_hold": _l("On hold"),
    "not_started": _l("Not started"),
    "finished": _l("Finished"),
    "testing": _l("Testing"),
    "awaiting_feedback": _l("Awaiting feedback"),
    "complete": _l("Complete"),
    # Ticket priorities.
    "low": _l("Low"),
    "medium": _l("Medium"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
    # Outbox emails.
    "pending": _l("Pending"),
    "sending": _l("Sending"),
    "failed": _l("Failed"),
    "logged": _l("Logged"),
    # Webhook deliveries (``core.models.webhooks``; pending, sending and failed as above).
    "delivered": _l("Delivered"),
    # Email events (``core.notifications.events``).
    "invoice_sent": _l("Invoice sent"),
    "invoice_overdue": _l("Invoice overdue"),
    "invoice_due_soon": _l("Invoice due soon"),
    "payment_recorded": _l("Payment recorded"),
    "credit_note_sent": _l("Credit note sent"),
    "estimate_sent": _l("Estimate sent"),
    "estimate_expiry_reminder": _l("Estimate expiry reminder"),
    "estimate_decided": _l("Estimate decided"),
    "contract_sent": _l("Contract sent"),
    "contract_expiry_reminder": _l("Contract expiry reminder"),
    "ticket_autoreply": _l("Ticket autoreply"),
    "ticket_staff_reply": _l("Ticket staff reply"),
    "project_created": _l("Project created"),
    "project_finished": _l("Project finished"),
    "project_file_added": _l("Project file added"),
    "project_discussion": _l("Project discussion"),
    "task_created": _l("Task created"),
    "task_commented": _l("Task commented"),
    "task_status_changed": _l("Task status changed"),
    "invitation": _l("Invitation"),
    "password_reset": _l("Password reset"),
    "sign_in_link": _l("Sign in link"),
    "password_changed": _l("Password changed"),
    "password_set_by_staff": _l("Password set by staff"),
    "staff_estimate_decided": _l("Staff estimate decided"),
    "staff_proposal_decided": _l("Staff proposal decided"),
    "staff_proposal_comment": _l("Staff proposal comment"),
    "staff_contract_signed": _l("Staff contract signed"),
    "staff_ticket_opened": _l("Staff ticket opened"),
    "staff_ticket_reply": _l("Staff ticket reply"),
    "staff_payment_received": _l("Staff payment received"),
    "staff_sign_in_link": _l("Staff sign in link"),
    # Payments: how they came in, and card payments' states.
    "manual": _l("Manual"),
    "card": _l("Card"),
    "succeeded": _l("Succeeded"),
    "refunded": _l("Refunded"),
    "partially_refunded": _l("Partially refunded"),
    "canceled": _l("Canceled"),
    # Document kinds, singular and plural (the notification toggles and the customer's tabs in the
    # admin area), and the features: named where they are defined, not again here.
    **{kind.key: kind.label for kind in DOCUMENT_KINDS},
    **{kind.tab: kind.plural for kind in DOCUMENT_KINDS},
    **{permission.key: permission.label for permission in PERMISSIONS},
    # The other notification toggles (``core.catalogs.NOTIFICATIONS`` keys) and tabs.
    "ticket": _l("Ticket"),
    "task": _l("Task"),
    "project": _l("Project"),
    "tickets": _l("Tickets"),
    # Field names in the audit log's details.
    "active": _l("Active"),
    "area": _l("Area"),
    "as_contact": _l("As contact"),
    "primary_contact": _l("Primary contact"),
    "email": _l("Email"),
    "is_admin": _l("Is admin"),
    "is_primary": _l("Is primary"),
    "name": _l("Name"),
    "notifications": _l("Notifications"),
    "number": _l("Number"),
    "permissions": _l("Permissions"),
    "project_id": _l("Project id"),
    "proposal_id": _l("Proposal id"),
    "signer": _l("Signer"),
    "status": _l("Status"),
    "subject": _l("Subject"),
    "total": _l("Total"),
    "value": _l("Value"),
    "details": _l("Details"),
    "visible_to_customer": _l("Visible to customer"),
    "vat_number": _l("Vat number"),
    "phone": _l("Phone"),
    "address": _l("Address"),
    "city": _l("City"),
    "zip_code": _l("Zip code"),
    "country": _l("Country"),
    "website": _l("Website"),
    # Webhook endpoints and deliveries in the audit log.
    "url": _l("Url"),
    "description": _l("Description"),
    "events": _l("Events"),
    "event": _l("Event"),
    "message_id": _l("Message id"),
    "previous_status": _l("Previous status"),
}


def label(value: str | None) -> str:
    """The translated label of a stored value; unknown values are shown readable, untranslated."""
    if not value:
        return ""
    known = LABELS.get(value)
    return str(known) if known is not None else value.replace("_", " ").capitalize()


def payment_method(payment) -> str:
    """How a payment came in, as the customer reads it (page, PDF): the method staff typed for a
    payment they recorded, the translated kind ("Card" / "Karte") for one paid through a gateway,
    whose stored ``method`` is an English placeholder."""
    if payment.kind and payment.kind != "manual":  # unset until the row is flushed: manual
        return label(payment.kind)
    return payment.method or ""


# Bootstrap badge colour per stored status; others are light.
BADGE_COLORS = {
    "paid": "success",
    "accepted": "success",
    "finished": "success",
    "complete": "success",
    "closed": "secondary",
    "overdue": "danger",
    "declined": "danger",
    "cancelled": "secondary",
    "unpaid": "warning",
    "partially_paid": "info",
    "open": "primary",
    "sent": "primary",
    "in_progress": "info",
    "answered": "success",
    "draft": "secondary",
    "signed": "success",
    "not_signed": "warning",
}


_BADGE = Markup('<span class="badge text-bg-%s">%s</span>')


@lru_cache(maxsize=512)
def _badge(language: str, status: str | None) -> Markup:
    # Per language: the label is translated in the language the key names (the caller's).
    return _BADGE % (BADGE_COLORS.get(status, "light"), label(status))


def status_badge(status: str | None) -> Markup:
    """A coloured badge with the status's translated label (escaped); templates: ``{{ status|badge }}``.

    A filter, not a macro or global: Jinja calls filters directly, without the per-call checks
    of a function call in a template, and ``%`` avoids ``Markup.format``'s string.Formatter
    (together a third of a list page's rows' cost). ``%`` escapes both values. The badge of each
    (language, status) is built once per process: a list page shows the same few over and over."""
    return _badge(current_language(), status)
