"""``/api/v1/tickets`` and ``/api/v1/tickets/{id}/replies`` (resource group ``tickets``): list,
read, open a ticket for a contact (the portal's ``open_ticket``: auto-reply and staff notices
as when the contact opens it), reply as staff (the admin ticket page's ``add_staff_reply``:
the same email to the ticket's contact), change status and department (the admin forms'
services, audited)."""

from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.auth import acting_staff
from api.base import resource_blueprint
from api.fastdump import RowDumper, json_page
from api.pagination import PageArgs, keyset_page
from api.schemas.tickets import (
    ReplyCreateSchema,
    ReplyPage,
    ReplySchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListArgs,
    TicketPage,
    TicketSchema,
    TicketUpdateSchema,
)
from core.extensions import db
from core.i18n import _
from core.models import Contact, Ticket, TicketReply
from core.services import ServiceError
from core.services.tickets import (
    DEFAULT_DEPARTMENT,
    add_staff_reply,
    new_submission_key,
    open_ticket,
    set_ticket_department,
    set_ticket_status,
)

from .errors import refuse

TICKET_ROWS, REPLY_ROWS = RowDumper(TicketSchema), RowDumper(ReplySchema)
blp = resource_blueprint("tickets", "tickets", "Support tickets and their replies")


def _ticket_or_404(ticket_id: int, *, replies: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if replies:
        stmt = stmt.options(selectinload(Ticket.replies))
    ticket = db.session.scalar(stmt)
    return ticket if ticket is not None else abort(404)


@blp.route("")
@blp.arguments(TicketListArgs(), location="query")
@blp.response(200, TicketPage)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_tickets(args):
    """List tickets, oldest first (filters: customer_id, contact_id, status, priority, department)"""
    stmt = select(Ticket)
    for name in ("customer_id", "contact_id", "status", "priority", "department"):
        if name in args:
            stmt = stmt.where(getattr(Ticket, name) == args[name])
    body, headers = keyset_page(stmt, Ticket.id, args)
    return json_page(TICKET_ROWS, body, headers)


@blp.route("", methods=["POST"])
@blp.arguments(TicketCreateSchema)
@blp.response(201, TicketDetailSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create(values):
    """Open a ticket for an active contact, with its first message"""
    contact = db.session.get(Contact, values["contact_id"])
    if contact is None or not contact.active:
        message = _("Choose an active contact.")
        abort(422, errors={"contact_id": [message]}, message=message)
    try:
        ticket = open_ticket(
            contact,
            subject=values["subject"],
            department=values.get("department") or DEFAULT_DEPARTMENT,
            priority=values["priority"],
            message=values["message"],
            submission_key=new_submission_key(),
            project_id=values.get("project_id"),
        )
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return _ticket_or_404(ticket.id, replies=True), 201


@blp.route("/<int:ticket_id>")
@blp.response(200, TicketDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
def read(ticket_id: int):
    """Read a ticket with its replies"""
    return _ticket_or_404(ticket_id, replies=True)


@blp.route("/<int:ticket_id>", methods=["PATCH"])
@blp.arguments(TicketUpdateSchema)
@blp.response(200, TicketDetailSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update(values, ticket_id: int):
    """Change the status or the department (audited, as in the admin area)"""
    ticket = _ticket_or_404(ticket_id)
    try:
        if "department" in values:
            set_ticket_department(ticket, values["department"], acting_staff())
        if "status" in values:
            set_ticket_status(ticket, values["status"], acting_staff())
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return _ticket_or_404(ticket_id, replies=True)


@blp.route("/<int:ticket_id>/replies")
@blp.arguments(PageArgs(), location="query")
@blp.response(200, ReplyPage)
@blp.alt_response(404, response="NOT_FOUND")
def list_replies(args, ticket_id: int):
    """List a ticket's replies, oldest first"""
    _ticket_or_404(ticket_id)
    body, headers = keyset_page(select(TicketReply).where(TicketReply.ticket_id == ticket_id), TicketReply.id, args)
    return json_page(REPLY_ROWS, body, headers)


@blp.route("/<int:ticket_id>/replies", methods=["POST"])
@blp.arguments(ReplyCreateSchema)
@blp.response(201, ReplySchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_reply(values, ticket_id: int):
    """Reply as staff: the ticket becomes answered and its contact is emailed (unless notify is false)"""
    ticket = _ticket_or_404(ticket_id)
    try:
        reply = add_staff_reply(ticket, acting_staff(), values["body"], notify=values["notify"])
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return reply, 201
