"""Reading tickets: who sees which, their files, the admin search. Nothing here changes data."""

from __future__ import annotations

import secrets

from sqlalchemy import Select, or_, select

from core.extensions import db
from core.models import (
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Contact,
    Customer,
    Department,
    StoredFile,
    Ticket,
    TicketReply,
)
from core.search import contains_text
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, bool_setting_on, get_bool_setting


def new_submission_key() -> str:
    """A fresh random key for one "open a ticket" form (32 hex characters)."""
    return secrets.token_hex(16)


def ticket_visibility(contact: Contact):
    """The condition on ``Ticket`` the contact's tickets meet (``Ticket.seen_by``), with the
    setting "contacts see all tickets of their company" read now (one query at most)."""
    return Ticket.seen_by(contact.customer_id, contact.id, get_bool_setting(CONTACTS_SEE_ALL_TICKETS))


def ticket_visibility_in_statement(customer_id, contact_id):
    """``ticket_visibility`` with the setting read inside the same statement (an EXISTS), for
    statements built once with bound parameters (the dashboard's figures)."""
    return Ticket.seen_by(customer_id, contact_id, bool_setting_on(CONTACTS_SEE_ALL_TICKETS))


def sees_ticket(contact: Contact, ticket: Ticket) -> bool:
    """Whether the contact sees this loaded ticket: the same rule as ``ticket_visibility``."""
    return ticket.seen_by(contact.customer_id, contact.id, get_bool_setting(CONTACTS_SEE_ALL_TICKETS))


def ticket_files_stmt(ticket: Ticket, *, customer_view: bool) -> Select:
    """A select() of the files attached to the replies of ``ticket`` (and of its customer).

    ``customer_view`` leaves out files staff marked as not visible to the customer.
    """
    stmt = (
        select(StoredFile)
        .join(TicketReply, StoredFile.ticket_reply_id == TicketReply.id)
        .where(TicketReply.ticket_id == ticket.id, StoredFile.customer_id == ticket.customer_id)
        .order_by(StoredFile.id)
    )
    if customer_view:
        stmt = stmt.where(StoredFile.visible_to_customer)
    return stmt


def files_by_reply(ticket: Ticket, *, customer_view: bool) -> dict[int, list[StoredFile]]:
    """The ticket's files grouped by the id of the reply they were attached to."""
    grouped: dict[int, list[StoredFile]] = {}
    for stored in db.session.scalars(ticket_files_stmt(ticket, customer_view=customer_view)):
        grouped.setdefault(stored.ticket_reply_id, []).append(stored)
    return grouped


def ticket_search(query: str = "", *, status: str = "", department: str = "", priority: str = "") -> Select:
    """A select() of tickets across customers, newest activity first, narrowed by a search in
    subject and company and by exact status, department and priority (unknown values ignored).
    """
    stmt = select(Ticket).join(Customer, Customer.id == Ticket.customer_id)
    query = query.strip()
    if query:
        stmt = stmt.where(or_(contains_text(Ticket.subject, query), contains_text(Customer.company, query)))
    if status in TICKET_STATUSES:
        stmt = stmt.where(Ticket.status == status)
    if department:
        stmt = stmt.where(Ticket.department == department)
    if priority in TICKET_PRIORITIES:
        stmt = stmt.where(Ticket.priority == priority)
    return stmt.order_by(Ticket.last_reply_at.desc(), Ticket.id.desc())


def known_departments() -> list[str]:
    """Every department name in use or defined (active or not): the admin list's filter."""
    defined = set(db.session.scalars(select(Department.name)))
    used = set(db.session.scalars(select(Ticket.department).distinct()))
    return sorted(defined | used, key=str.lower)
