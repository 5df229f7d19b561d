"""Support tickets and their replies."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs, page_schema
from core.models import TICKET_PRIORITIES, TICKET_STATUSES

from .common import UtcDateTime, record_id, text
from .filters import query_id


class ReplySchema(Schema):
    id = fields.Integer(dump_only=True)
    ticket_id = fields.Integer(dump_only=True)
    contact_id = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "Set when a contact wrote it"}
    )
    staff_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "Set when staff wrote it"})
    body = text(20_000, required=True, min_length=1)
    created_at = UtcDateTime(dump_only=True)


class ReplyCreateSchema(ReplySchema):
    notify = fields.Boolean(
        load_only=True, load_default=True, metadata={"description": "Email the ticket's contact (default true)"}
    )


class TicketSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    contact_id = record_id(required=True, metadata={"description": "The contact the ticket is opened for"})
    project_id = record_id(allow_none=True)
    subject = text(200, required=True, min_length=1)
    department = text(80)
    priority = fields.String(validate=validate.OneOf(TICKET_PRIORITIES), load_default="medium")
    status = fields.String(dump_only=True, metadata={"description": ", ".join(TICKET_STATUSES)})
    last_reply_at = UtcDateTime(dump_only=True)
    created_at = UtcDateTime(dump_only=True)


class TicketCreateSchema(TicketSchema):
    message = text(20_000, required=True, min_length=1, load_only=True)


class TicketDetailSchema(TicketSchema):
    replies = fields.List(fields.Nested(ReplySchema), dump_only=True)


class TicketUpdateSchema(Schema):
    """PATCH: status and department (the admin ticket page's two forms)."""

    status = fields.String(validate=validate.OneOf(TICKET_STATUSES))
    department = text(80, min_length=1)


class TicketListArgs(PageArgs):
    customer_id = query_id()
    contact_id = query_id()
    status = fields.String(validate=validate.OneOf(TICKET_STATUSES))
    priority = fields.String(validate=validate.OneOf(TICKET_PRIORITIES))
    department = text(80)


TicketPage = page_schema(TicketSchema, "TicketPage")
ReplyPage = page_schema(ReplySchema, "ReplyPage")
