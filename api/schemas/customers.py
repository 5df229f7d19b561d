"""Customers: what the API shows and accepts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs, page_schema

from .common import UtcDateTime, text

_URL = validate.URL(relative=False, schemes={"http", "https"})


def _url_or_empty(value: str) -> None:
    # As the admin form: a full address, or nothing.
    if value:
        _URL(value)


class CustomerSchema(Schema):
    id = fields.Integer(dump_only=True)
    company = text(160, required=True, min_length=1)
    vat_number = text(40)
    phone = text(40)
    address = text(500)
    city = text(100)
    zip_code = text(20)
    country = text(80)
    website = fields.String(
        validate=[validate.Length(max=200), _url_or_empty], metadata={"description": "https://... or empty"}
    )
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}\Z"), metadata={"description": "e.g. EUR"})
    active = fields.Boolean()
    version = fields.Integer(dump_only=True, metadata={"description": "Also sent as the ETag"})
    created_at = UtcDateTime(dump_only=True)


class CustomerUpdateSchema(CustomerSchema):
    """PATCH: any subset of the fields."""

    company = text(160, min_length=1)


class CustomerListArgs(PageArgs):
    q = text(100, metadata={"description": "Search company, VAT number or a contact's email"})
    active = fields.Boolean()


CustomerPage = page_schema(CustomerSchema, "CustomerPage")
