"""Support tickets: contacts open, answer and close them; staff answer them, change their status
and department; administrators keep the list of departments.

Every changing function validates first, queues its emails through the notify functions and
commits. A refusal raises ``ServiceError`` and leaves nothing behind: no rows, and no uploaded
bytes on disk (files already written are removed again when the transaction is rolled back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from core.audit import record
from core.extensions import db
from core.i18n import _, _l, ngettext
from core.models import (
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Contact,
    Project,
    StaffUser,
    StoredFile,
    Ticket,
    TicketReply,
    utcnow,
)
from core.notifications.notify import notify_staff, notify_ticket
from core.services import ServiceError
from core.services.comments import MAX_ATTACHMENTS, chosen_files, post_comment, store_attachments, undo
from core.webhooks import emit

from .departments import (
    DEFAULT_DEPARTMENT,
    create_department,
    department_names,
    rename_department,
    set_department_active,
)
from .queries import (
    files_by_reply,
    known_departments,
    new_submission_key,
    sees_ticket,
    ticket_files_stmt,
    ticket_search,
    ticket_visibility,
    ticket_visibility_in_statement,
)

MAX_SUBJECT_LENGTH = 200
MAX_MESSAGE_LENGTH = 20000
SUBMISSION_KEY = re.compile(r"^[0-9a-f]{32}$")
# The same text by the same author this soon again is a double submit (replies have no
# submission key, and going back to a form renders a new key), so the first result stands.
DUPLICATE_WINDOW = timedelta(minutes=2)
EXPIRED_FORM = _l("This form was already used or has expired. Please open a new form and try again.")


# -- contacts ------------------------------------------------------------------------------------


def open_ticket(
    contact: Contact,
    *,
    subject: str,
    department: str,
    priority: str,
    message: str,
    submission_key: str,
    project_id: int | None = None,
    uploads: Iterable[FileStorage] = (),
) -> Ticket:
    """Open a ticket for the contact's customer with its first message and files, and commit.

    At most one ticket exists per ``submission_key``: sending the same form again returns the
    ticket the first submit opened, and so does the same subject and message sent again by the
    same contact within two minutes (going back to the form renders a new key). The project
    must be one of the customer's and needs the Projects permission. If any file breaks the
    upload rules, nothing is saved (no ticket, no file). The opener gets the auto-reply (when
    its Tickets toggle allows) and administrators are told.
    """
    submission_key = (submission_key or "").strip()
    if not SUBMISSION_KEY.match(submission_key):
        raise ServiceError(str(EXPIRED_FORM))
    existing = _ticket_for_key(submission_key, contact)
    if existing is not None:
        return existing
    subject, message = _clean_text(subject, "subject", MAX_SUBJECT_LENGTH), _clean_message(message)
    existing = _recent_duplicate_ticket(contact, subject, message)
    if existing is not None:
        return existing
    if department not in department_names():
        raise ServiceError(_("Choose one of the departments."))
    if priority not in TICKET_PRIORITIES:
        raise ServiceError(_("Choose one of the priorities."))
    if project_id is not None and _project_of(contact, project_id) is None:
        raise ServiceError(_("Choose one of your projects, or none."))
    files = chosen_files(uploads)

    reply = TicketReply(contact_id=contact.id, body=message)
    ticket = Ticket(
        customer_id=contact.customer_id,
        contact_id=contact.id,
        project_id=project_id,
        subject=subject,
        department=department,
        priority=priority,
        status="open",
        last_reply_at=utcnow(),
        submission_key=submission_key,
        replies=[reply],
    )
    db.session.add(ticket)
    written: list[StoredFile] = []
    try:
        db.session.flush()
        store_attachments(written, files, reply, ticket.customer_id, contact)
        notify_ticket("ticket_autoreply", ticket, message)
        _notify_staff("staff_ticket_opened", ticket, contact, message)
        emit("ticket.opened", ticket)
        db.session.commit()
    except IntegrityError as exc:
        # Two submits of one form raced past the lookup above: the first one won.
        undo(written)
        existing = _ticket_for_key(submission_key, contact)
        if existing is None:
            raise ServiceError(_("Your ticket could not be saved. Please try again.")) from exc
        return existing
    except Exception:
        undo(written)
        raise
    return ticket


def add_contact_reply(
    ticket: Ticket, contact: Contact, message: str, uploads: Iterable[FileStorage] = ()
) -> TicketReply:
    """Add the contact's reply (with up to three files) to a ticket it sees and commit.

    The ticket becomes "open" again (a closed ticket is reopened by replying) and administrators
    are told. A double submit of the same text adds one reply. A file that breaks the upload
    rules saves nothing.
    """
    if not sees_ticket(contact, ticket):
        raise ServiceError(_("This ticket is not available to you."))
    message = _clean_message(message)

    def reopen(reply: TicketReply) -> None:
        _answered(ticket, "open")
        _notify_staff("staff_ticket_reply", ticket, contact, message)
        emit("ticket.replied", ticket, reply=reply)

    return _post_reply(ticket, message, contact, uploads, reopen)


def close_ticket(ticket: Ticket, contact: Contact) -> None:
    """Close a ticket the contact sees and commit; closing a closed ticket changes nothing."""
    if not sees_ticket(contact, ticket):
        raise ServiceError(_("This ticket is not available to you."))
    if ticket.status == "closed":
        return
    ticket.status = "closed"
    db.session.commit()


# -- staff ---------------------------------------------------------------------------------------


def add_staff_reply(
    ticket: Ticket, staff: StaffUser, body: str, uploads: Iterable[FileStorage] = (), *, notify: bool = True
) -> TicketReply:
    """Add a staff reply (with up to three files), mark the ticket answered, email the ticket's
    contact (its Tickets toggle decides; nobody when ``notify`` is False), and commit. A double
    submit adds one reply; a file that breaks the upload rules saves nothing and sends nothing.
    """
    if not (body or "").strip():
        raise ServiceError(_("Write a reply first."))
    body = _clean_message(body)

    def answered(reply: TicketReply) -> None:
        _answered(ticket, "answered")
        if notify:
            notify_ticket("ticket_staff_reply", ticket, body)
        emit("ticket.replied", ticket, reply=reply)

    return _post_reply(ticket, body, staff, uploads, answered)


def set_ticket_status(ticket: Ticket, status: str, staff: StaffUser) -> None:
    """Change the ticket's status (one of ``TICKET_STATUSES``), audit it and commit."""
    if status not in TICKET_STATUSES:
        raise ServiceError(_("Unknown ticket status."))
    _change(ticket, "status", status, staff)


def set_ticket_department(ticket: Ticket, department: str, staff: StaffUser) -> None:
    """Move the ticket to another department (an active one), audit it and commit."""
    if department != ticket.department and department not in department_names():
        raise ServiceError(_("Choose one of the active departments."))
    _change(ticket, "department", department, staff)


def _change(ticket: Ticket, field: str, value: str, staff: StaffUser) -> None:
    """Set one field of the ticket, audited as ``ticket.<field>_changed``, and commit; the same
    value again changes (and audits) nothing."""
    before = getattr(ticket, field)
    if value == before:
        return
    record(
        f"ticket.{field}_changed",
        actor=staff,
        customer_id=ticket.customer_id,
        target=ticket,
        before=before,
        after=value,
    )
    setattr(ticket, field, value)
    db.session.commit()


# -- helpers -------------------------------------------------------------------------------------


def _ticket_for_key(submission_key: str, contact: Contact) -> Ticket | None:
    """The ticket an earlier submit of this form opened, if it was this contact's."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.submission_key == submission_key))
    if ticket is None:
        return None
    if ticket.contact_id != contact.id or ticket.customer_id != contact.customer_id:
        raise ServiceError(str(EXPIRED_FORM))
    return ticket


def _project_of(contact: Contact, project_id: int) -> Project | None:
    if not contact.can("projects"):
        return None
    return db.session.scalar(
        select(Project).where(Project.id == project_id, Project.customer_id == contact.customer_id)
    )


# Whole sentences per field ("subject" or "message"): German genders differ.
_MISSING = {"subject": _l("Enter a subject."), "message": _l("Enter a message.")}
_TOO_LONG = {
    "subject": lambda n: ngettext(
        "The subject is too long (at most %(max)d character).",
        "The subject is too long (at most %(max)d characters).",
        n,
        max=n,
    ),
    "message": lambda n: ngettext(
        "The message is too long (at most %(max)d character).",
        "The message is too long (at most %(max)d characters).",
        n,
        max=n,
    ),
}


def _clean_text(value: str, what: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(str(_MISSING[what]))
    if len(value) > max_length:
        raise ServiceError(_TOO_LONG[what](max_length))
    return value


def _clean_message(message: str) -> str:
    return _clean_text(message, "message", MAX_MESSAGE_LENGTH)


def _post_reply(ticket: Ticket, body: str, author, uploads: Iterable[FileStorage], effects) -> TicketReply:
    files = chosen_files(uploads)
    return post_comment(
        TicketReply,
        ticket.id,
        body,
        author,
        window=DUPLICATE_WINDOW,
        files=files,
        customer_id=ticket.customer_id,
        effects=effects,
    )


def _answered(ticket: Ticket, status: str) -> None:
    ticket.status = status
    ticket.last_reply_at = utcnow()


def _recent_duplicate_ticket(contact: Contact, subject: str, message: str) -> Ticket | None:
    """A ticket the contact opened moments ago with the same subject and message, if any."""
    return db.session.scalar(
        select(Ticket)
        .join(TicketReply, TicketReply.ticket_id == Ticket.id)
        .where(
            Ticket.customer_id == contact.customer_id,
            Ticket.contact_id == contact.id,
            Ticket.subject == subject,
            Ticket.created_at >= utcnow() - DUPLICATE_WINDOW,
            TicketReply.contact_id == contact.id,
            TicketReply.body == message,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def _notify_staff(event_key: str, ticket: Ticket, contact: Contact, message: str) -> None:
    notify_staff(
        event_key,
        link_values={"ticket_id": ticket.id},
        context={"ticket": ticket, "customer": contact.customer, "author": contact.full_name, "message": message},
        customer_id=ticket.customer_id,
    )


__all__ = [
    "DEFAULT_DEPARTMENT",
    "MAX_ATTACHMENTS",
    "add_contact_reply",
    "add_staff_reply",
    "close_ticket",
    "create_department",
    "department_names",
    "files_by_reply",
    "known_departments",
    "new_submission_key",
    "open_ticket",
    "rename_department",
    "set_department_active",
    "set_ticket_department",
    "set_ticket_status",
    "ticket_files_stmt",
    "ticket_search",
    "sees_ticket",
    "ticket_visibility",
    "ticket_visibility_in_statement",
]
