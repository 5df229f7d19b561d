"""Contacts with their permissions and notification toggles (keys of ``core.catalogs``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs, page_schema
from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.i18n import LANGUAGES

from .common import SortedKeys, UtcDateTime, record_id, text
from .filters import query_id

PERMISSION_CHOICES = [p.key for p in PERMISSIONS]
NOTIFICATION_CHOICES = [n.key for n in NOTIFICATIONS]


def _keys(choices: list[str], what: str) -> SortedKeys:
    return SortedKeys(
        fields.String(validate=validate.OneOf(choices)),
        validate=validate.Length(max=len(choices) * 2),
        metadata={"description": f"{what}: any of {', '.join(choices)}"},
    )


class ContactSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = record_id(required=True)
    first_name = text(80, required=True, min_length=1)
    last_name = text(80, required=True, min_length=1)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = text(40)
    position = text(80)
    language = fields.String(validate=validate.OneOf(list(LANGUAGES)))
    is_primary = fields.Boolean()
    active = fields.Boolean()
    permissions = _keys(PERMISSION_CHOICES, "Permissions (features of the customer area)")
    notifications = _keys(NOTIFICATION_CHOICES, "Email notifications (each needs its permission)")
    version = fields.Integer(dump_only=True, metadata={"description": "Also sent as the ETag"})
    created_at = UtcDateTime(dump_only=True)


class ContactCreateSchema(ContactSchema):
    invite = fields.Boolean(
        load_only=True, load_default=False, metadata={"description": "Email the contact a link to set its password"}
    )


class ContactUpdateSchema(ContactSchema):
    """PATCH: any subset of the fields (the customer cannot change)."""

    customer_id = fields.Integer(dump_only=True)
    first_name = text(80, min_length=1)
    last_name = text(80, min_length=1)
    email = fields.Email(validate=validate.Length(max=254))
    invite = fields.Boolean(
        load_only=True, load_default=False, metadata={"description": "Email the contact a link to set its password"}
    )


class ContactListArgs(PageArgs):
    customer_id = query_id()
    email = fields.String(validate=validate.Length(max=254), metadata={"description": "Exact address"})
    active = fields.Boolean()


ContactPage = page_schema(ContactSchema, "ContactPage")
