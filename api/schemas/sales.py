"""Sales documents: invoices (with payments), credit notes, estimates, proposals and contracts.

The fields each kind accepts are the fields of the admin area's forms (``admin/sales/forms.py``)
and of the services' data classes (``SalesData``, ``ProposalData``, ``ContractData``); the
services check the rules (amount ranges, dates in order, statuses, one customer per document).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs, page_schema
from core.models.sales import CREDIT_NOTE_STATUSES, ESTIMATE_STATUSES, INVOICE_STATUSES, PROPOSAL_STATUSES

from .common import UtcDateTime, record_id, text
from .filters import query_id


def money_field(**kwargs) -> fields.Decimal:
    """A money amount: a JSON number or a decimal string in, a string with two decimals out
    (documented as such: exact decimals, never a binary float)."""
    metadata = {"type": "string", "format": "decimal", "example": "119.00", **kwargs.pop("metadata", {})}
    return fields.Decimal(places=2, as_string=True, allow_nan=False, metadata=metadata, **kwargs)


def currency_field(**kwargs) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[A-Za-z]{3}\Z"), metadata={"description": "e.g. EUR"}, **kwargs)


def status_field(choices: tuple[str, ...], **kwargs) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), metadata={"description": ", ".join(choices)}, **kwargs)


class LineSchema(Schema):
    """A line item (position is its place in ``lines``)."""

    description = text(255, required=True, min_length=1)
    quantity = money_field(required=True)
    unit_price = money_field(required=True)
    tax_rate = money_field(load_default=None, metadata={"description": "Percent, default 0"})
    amount = money_field(dump_only=True, metadata={"description": "quantity x unit price, before tax"})


def lines_field(**kwargs) -> fields.List:
    return fields.List(
        fields.Nested(LineSchema),
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The line items, in order (replaces all lines when given)"},
        **kwargs,
    )


class PaymentSchema(Schema):
    id = fields.Integer(dump_only=True)
    amount = money_field(dump_only=True)
    date = fields.Date(dump_only=True)
    method = fields.String(dump_only=True)
    reference = fields.String(dump_only=True)
    kind = fields.String(dump_only=True, metadata={"description": "manual or card"})
    status = fields.String(dump_only=True)
    refunded_amount = money_field(dump_only=True)


class PaymentCreateSchema(Schema):
    """A payment staff record (the admin detail page's form)."""

    amount = money_field(required=True)
    paid_on = fields.Date(required=True)
    method = text(40, load_default="Bank transfer")
    notify = fields.Boolean(load_default=True, metadata={"description": "Email the customer (as the admin form)"})


class SendSchema(Schema):
    """What the admin send dialog posts."""

    contact_ids = fields.List(
        record_id(),
        validate=validate.Length(max=200),
        metadata={
            "description": "Recipients: active contacts of the document's customer. Default: the contacts "
            "the admin dialog preselects (those with the document's email notification)"
        },
    )
    cc = text(1000, load_default="", metadata={"description": "Comma separated addresses"})
    attach_pdf = fields.Boolean(load_default=True)


class SendResultSchema(Schema):
    recipients = fields.List(fields.String(), metadata={"description": "The addresses the email was queued to"})
    status = fields.String(
        allow_none=True, metadata={"description": "The document's status after sending (none for contracts)"}
    )
    sent_at = UtcDateTime()


# -- documents ---------------------------------------------------------------------------------


class _Document(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = record_id(required=True)
    project_id = record_id(allow_none=True)
    currency = currency_field()
    created_at = UtcDateTime(dump_only=True)


class _Totals(_Document):
    number = fields.String(dump_only=True)
    date = fields.Date(required=True)
    notes = text(5000)
    subtotal = money_field(dump_only=True)
    discount = money_field(allow_none=True)
    tax_total = money_field(dump_only=True)
    total = money_field(dump_only=True)
    sent_at = UtcDateTime(dump_only=True, allow_none=True)


class InvoiceSchema(_Totals):
    due_date = fields.Date(allow_none=True)
    status = status_field(INVOICE_STATUSES)
    amount_paid = money_field(dump_only=True)
    balance = money_field(dump_only=True)


class InvoiceDetailSchema(InvoiceSchema):
    lines = lines_field(required=True, attribute="items")
    payments = fields.List(fields.Nested(PaymentSchema), dump_only=True)


class CreditNoteSchema(_Totals):
    status = status_field(CREDIT_NOTE_STATUSES)
    invoice_id = record_id(allow_none=True, metadata={"description": "The credited invoice (same customer)"})


class CreditNoteDetailSchema(CreditNoteSchema):
    lines = lines_field(required=True, attribute="items")


class EstimateSchema(_Totals):
    expiry_date = fields.Date(allow_none=True)
    status = status_field(ESTIMATE_STATUSES)
    invoice_id = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "The invoice it was converted to"}
    )
    decided_at = UtcDateTime(dump_only=True, allow_none=True)


class EstimateDetailSchema(EstimateSchema):
    lines = lines_field(required=True, attribute="items")


class ProposalSchema(_Document):
    subject = text(200, required=True, min_length=1)
    content = text(50_000)
    total = money_field(allow_none=True)
    date = fields.Date(required=True)
    open_till = fields.Date(allow_none=True)
    status = status_field(PROPOSAL_STATUSES)
    decided_at = UtcDateTime(dump_only=True, allow_none=True)


class ContractSchema(_Document):
    subject = text(200, required=True, min_length=1)
    content = text(50_000)
    value = money_field(allow_none=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True)
    signed_at = UtcDateTime(dump_only=True, allow_none=True)
    signer_name = fields.String(dump_only=True, allow_none=True)
    sent_at = UtcDateTime(dump_only=True, allow_none=True)


class DocumentListArgs(PageArgs):
    customer_id = query_id()
    project_id = query_id()
    status = text(20, metadata={"description": "One of the kind's statuses"})
    number = text(32, metadata={"description": "Exact number (kinds with a number)"})


# Per kind key: the list item schema and the detail schema (also the input of create and,
# partial and without customer_id, of update); the resource module builds the routes.
SCHEMAS: dict[str, tuple[type[Schema], type[Schema]]] = {
    "invoice": (InvoiceSchema, InvoiceDetailSchema),
    "credit_note": (CreditNoteSchema, CreditNoteDetailSchema),
    "estimate": (EstimateSchema, EstimateDetailSchema),
    "proposal": (ProposalSchema, ProposalSchema),
    "contract": (ContractSchema, ContractSchema),
}
PAGES: dict[str, type[Schema]] = {
    key: page_schema(item, f"{item.__name__.removesuffix('Schema')}Page") for key, (item, _detail) in SCHEMAS.items()
}
