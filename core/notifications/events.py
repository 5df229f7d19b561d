"""Every automatic email the portal sends, with the notification toggle that governs it.

The ``notification`` of an event is a key of ``core.catalogs.NOTIFICATIONS``; ``None`` marks a
personal email (invitation, password reset, security notice) that is sent regardless of toggles.
``endpoint`` is the customer-area page the email links to.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.catalogs import NOTIFICATION_KEYS
from core.document_kinds import SENDABLE_KINDS


@dataclass(frozen=True)
class Event:
    key: str
    notification: str | None
    endpoint: str
    description: str


EVENTS: dict[str, Event] = {
    e.key: e
    for e in (
        # "<kind>_sent": the send dialog's email, one per kind of the registry with a notification.
        *(
            Event(
                f"{kind.key}_sent",
                kind.notification,
                kind.portal_detail,
                f"{kind.key.replace('_', ' ').capitalize()} sent",
            )
            for kind in SENDABLE_KINDS
        ),
        Event("invoice_overdue", "invoice", "portal.invoices.detail", "Overdue notice"),
        Event("invoice_due_soon", "invoice", "portal.invoices.detail", "Due-soon notice"),
        Event("payment_recorded", "invoice", "portal.invoices.detail", "Payment recorded"),
        Event("estimate_expiry_reminder", "estimate", "portal.estimates.detail", "Estimate expiry reminder"),
        Event("estimate_decided", "estimate", "portal.estimates.detail", "Estimate accepted or declined"),
        Event("contract_expiry_reminder", "contract", "portal.contracts.detail", "Contract expiry reminder"),
        Event("ticket_autoreply", "ticket", "portal.tickets.detail", "Ticket opened (auto-reply)"),
        Event("ticket_staff_reply", "ticket", "portal.tickets.detail", "Staff replied to a ticket"),
        Event("project_created", "project", "portal.projects.detail", "Project created"),
        Event("project_finished", "project", "portal.projects.detail", "Project finished"),
        Event("project_file_added", "project", "portal.projects.detail", "File added to a project"),
        Event("project_discussion", "project", "portal.projects.detail", "Project discussion comment"),
        Event("task_created", "task", "portal.projects.task", "Task created"),
        Event("task_commented", "task", "portal.projects.task", "Task commented"),
        Event("task_status_changed", "task", "portal.projects.task", "Task status changed"),
        Event("invitation", None, "portal.set_password", "Invitation to set a password"),
        Event("password_reset", None, "portal.reset_password", "Password reset"),
        Event("sign_in_link", None, "portal.sign_in_link", "Sign-in link"),
        Event("password_changed", None, "portal.login", "Security notice: password changed"),
        Event("password_set_by_staff", None, "portal.login", "Security notice: password set by staff"),
        # Emails to staff (administrators); they link into the admin area.
        Event("staff_estimate_decided", None, "admin.document_detail", "A customer accepted or declined an estimate"),
        Event("staff_proposal_decided", None, "admin.proposal_detail", "A customer accepted or declined a proposal"),
        Event("staff_proposal_comment", None, "admin.proposal_detail", "A customer commented on a proposal"),
        Event("staff_contract_signed", None, "admin.document_detail", "A customer signed a contract"),
        Event("staff_ticket_opened", None, "admin.ticket_detail", "A customer opened a ticket"),
        Event("staff_ticket_reply", None, "admin.ticket_detail", "A customer replied to a ticket"),
        Event("staff_payment_received", None, "admin.document_detail", "A customer paid an invoice by card"),
        Event("staff_sign_in_link", None, "admin.sign_in_link", "Sign-in link to the admin area"),
    )
}

if {e.notification for e in EVENTS.values() if e.notification} != NOTIFICATION_KEYS:
    raise RuntimeError("every notification toggle must govern at least one event, and only catalog toggles")
