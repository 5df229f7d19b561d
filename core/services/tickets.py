"""Support tickets: staff replies (and, in the customer area, opening and replying)."""

from __future__ import annotations

from core.extensions import db
from core.models import StaffUser, Ticket, TicketReply, utcnow
from core.notifications.notify import notify_ticket

from . import ServiceError


def add_staff_reply(ticket: Ticket, staff: StaffUser, body: str) -> TicketReply:
    """Add a staff reply, mark the ticket answered, email the ticket's contact, and commit."""
    body = body.strip()
    if not body:
        raise ServiceError("Write a reply first.")
    reply = TicketReply(staff_id=staff.id, body=body)
    ticket.replies.append(reply)
    ticket.status = "answered"
    ticket.last_reply_at = utcnow()
    notify_ticket("ticket_staff_reply", ticket, body)
    db.session.commit()
    return reply
