"""``/api/v1/<kind>`` for every kind of ``core.document_kinds``: invoices, credit notes,
estimates, proposals and contracts (resource group ``sales``).

The routes are made from the registry, one blueprint per kind: list (customer, project,
status, number; keyset pagination), read (with line items, an invoice's payments too), create,
update, the PDF (kinds with a PDF: the same ``core.pdf.document_pdf`` and cache as the portal
and the admin area), send by email (kinds with a notification: the admin send dialog's
``send_document``, to the contacts it preselects unless others are chosen) and an invoice's
payments (the admin detail page's ``record_payment``). Writes call the admin area's services,
acting as the token's creator.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_smorest import abort
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.auth import acting_staff
from api.base import resource_blueprint
from api.fastdump import RowDumper, json_page
from api.pagination import keyset_page
from api.schemas.sales import PAGES, SCHEMAS, DocumentListArgs, PaymentCreateSchema, PaymentSchema, SendResultSchema
from api.schemas.sales import SendSchema as SendArgs
from core.document_kinds import DOCUMENT_KINDS, DocumentKind
from core.extensions import db
from core.i18n import _
from core.models import Customer, Invoice
from core.pdf import document_pdf, pdf_download, pdf_filename
from core.services import ServiceError
from core.services.documents import (
    ContractData,
    LineData,
    ProposalData,
    SalesData,
    create_contract,
    create_proposal,
    create_sales_document,
    update_contract,
    update_proposal,
    update_sales_document,
)
from core.services.invoices import record_payment
from core.services.sending import preselected_ids, send_document

from .errors import refuse

# Per kind without line items: its data class and its create and update services.
_AGREEMENTS = {
    "proposal": (ProposalData, create_proposal, update_proposal),
    "contract": (ContractData, create_contract, update_contract),
}


def _detail_options(kind: DocumentKind) -> list:
    """What the detail schema shows besides columns, loaded up front (no query per line)."""
    options = []
    if kind.item_model is not None:
        options.append(selectinload(kind.model.items))
    if kind.model is Invoice:
        options.append(selectinload(Invoice.payments))
    return options


def _document_or_404(kind: DocumentKind, doc_id: int):
    document = db.session.scalar(select(kind.model).where(kind.model.id == doc_id).options(*_detail_options(kind)))
    return document if document is not None else abort(404)


def _line(values: dict) -> LineData:
    tax_rate = values.get("tax_rate")
    return LineData(values["description"], values["quantity"], values["unit_price"], tax_rate or Decimal("0"))


def _data(kind: DocumentKind, values: dict, document=None):
    """The service's data class for ``kind``: ``values`` over the document's current state (a
    PATCH changes only what it names), or over a new document's defaults."""
    data_class = _AGREEMENTS[kind.key][0] if kind.key in _AGREEMENTS else SalesData
    given = dict(values)
    if "items" in given:
        given["lines"] = [_line(line) for line in given.pop("items")]
    current = {}
    if document is not None:
        for field in dataclasses.fields(data_class):
            if field.name == "lines":
                current["lines"] = [
                    LineData(i.description, i.quantity, i.unit_price, i.tax_rate) for i in document.items
                ]
            elif hasattr(document, field.name):
                current[field.name] = getattr(document, field.name)
    elif kind.statuses:
        # A new document starts as the first status the admin form offers (a draft where there is one).
        current["status"] = (kind.new_statuses or kind.statuses)[0]
    names = {field.name for field in dataclasses.fields(data_class)}
    merged = {name: value for name, value in (current | given).items() if name in names}
    if data_class is SalesData:
        merged.setdefault("lines", [])
    for name in ("date", "start_date"):
        if name in names:
            merged.setdefault(name, date.today())
    if "status" in names:
        merged.setdefault("status", "")
    for name in ("subject", "content"):
        if name in names:
            merged.setdefault(name, "")
    for name in ("total", "value", "open_till", "end_date"):
        if name in names:
            merged.setdefault(name, None)
    return data_class(**merged)


def _customer_id(values: dict) -> int:
    """The posted customer's id; a customer that does not exist is a field error (422)."""
    if db.session.get(Customer, values["customer_id"]) is None:
        message = _("No customer has this id.")
        abort(422, errors={"customer_id": [message]}, message=message)
    return values["customer_id"]


def _list_statement(kind: DocumentKind, args: dict):
    model = kind.model
    stmt = select(model)
    for name in ("customer_id", "project_id"):
        if name in args:
            stmt = stmt.where(getattr(model, name) == args[name])
    if "number" in args:
        if kind.number_prefix is None:
            message = _("This kind of document has no number.")
            abort(422, errors={"number": [message]}, message=message)
        stmt = stmt.where(model.number == args["number"])
    if "status" in args:
        wanted = args["status"]
        if wanted in kind.statuses:
            stmt = stmt.where(model.status == wanted)
        elif kind.model is Invoice and wanted == "overdue":
            stmt = stmt.where(Invoice.is_overdue(date.today()))
        else:
            message = _("Choose one of: %(choices)s.", choices=", ".join(kind.status_filters) or "-")
            abort(422, errors={"status": [message]}, message=message)
    return stmt


def _document_routes(kind: DocumentKind):
    """The blueprint of one document kind, its routes chosen by what the registry says it has."""
    item_schema, detail_schema = SCHEMAS[kind.key]
    list_dumper = RowDumper(item_schema)  # the page schema's items, without marshmallow's overhead
    english = kind.slug.replace("-", " ")
    blp = resource_blueprint(kind.slug, "sales", english.capitalize())
    # PATCH: any subset of the create fields; the customer is fixed (a document stays with it).
    update_class = type(
        detail_schema.__name__.replace("Schema", "UpdateSchema"),
        (detail_schema,),
        {"customer_id": fields.Integer(dump_only=True)},
    )
    update_schema = update_class(partial=True)

    @blp.route("")
    @blp.arguments(DocumentListArgs(), location="query")
    @blp.response(200, PAGES[kind.key])
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def list_documents(args):
        """List documents, oldest first (filters: customer_id, project_id, status, number)"""
        body, headers = keyset_page(_list_statement(kind, args), kind.model.id, args)
        return json_page(list_dumper, body, headers)

    @blp.route("", methods=["POST"])
    @blp.arguments(detail_schema)
    @blp.response(201, detail_schema)
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def create(values):
        """Create a document (through the admin area's service: number, totals, audit)"""
        customer_id = _customer_id(values)
        data = _data(kind, values)
        try:
            if kind.key in _AGREEMENTS:
                document = _AGREEMENTS[kind.key][1](customer_id, data, actor=acting_staff())
            else:
                document = create_sales_document(kind.key, customer_id, data, actor=acting_staff())
        except ServiceError as exc:
            refuse(exc)
        return _document_or_404(kind, document.id), 201

    @blp.route("/<int:doc_id>")
    @blp.response(200, detail_schema)
    @blp.alt_response(404, response="NOT_FOUND")
    def read(doc_id: int):
        """Read a document with its line items (and an invoice's payments)"""
        return _document_or_404(kind, doc_id)

    @blp.route("/<int:doc_id>", methods=["PATCH"])
    @blp.arguments(update_schema)
    @blp.response(200, detail_schema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def update(values, doc_id: int):
        """Change some fields (``lines``, when given, replaces every line item)"""
        document = _document_or_404(kind, doc_id)
        data = _data(kind, values, document)
        try:
            if kind.key in _AGREEMENTS:
                _AGREEMENTS[kind.key][2](document, data, actor=acting_staff())
            else:
                update_sales_document(document, data, actor=acting_staff())
        except ServiceError as exc:
            db.session.rollback()
            refuse(exc)
        return _document_or_404(kind, doc_id)

    list_documents.__doc__ = f"List {english}, oldest first\n\nFilters: customer_id, project_id, status, number."

    if kind.pdf_renderer is not None:

        @blp.route("/<int:doc_id>/pdf")
        @blp.response(200, content_type="application/pdf")
        @blp.alt_response(404, response="NOT_FOUND")
        def pdf(doc_id: int):
            """The document's PDF, as the admin area and the portal download it"""
            document = _document_or_404(kind, doc_id)
            customer = db.session.get(Customer, document.customer_id)
            data = document_pdf(kind.key, document, customer, current_app.config["COMPANY_NAME"])
            return pdf_download(data, pdf_filename(kind.key, document))

    if kind.notification is not None:

        @blp.route("/<int:doc_id>/send", methods=["POST"])
        @blp.arguments(SendArgs)
        @blp.response(200, SendResultSchema)
        @blp.alt_response(404, response="NOT_FOUND")
        @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
        def send(values, doc_id: int):
            """Email the document to contacts and mark it sent (the admin send dialog's service)

            Without ``contact_ids``, to the contacts the dialog preselects: those with the
            document's email notification (and its permission).
            """
            document = _document_or_404(kind, doc_id)
            if "contact_ids" in values:
                contact_ids = set(values["contact_ids"])
            else:
                contact_ids = preselected_ids(kind, document.customer_id)
            try:
                emails = send_document(
                    kind, document, contact_ids, cc=values["cc"], attach_pdf=values["attach_pdf"], actor=acting_staff()
                )
            except ServiceError as exc:
                db.session.rollback()
                refuse(exc)
            return {
                "recipients": [e.to_address for e in emails],
                "status": getattr(document, "status", None),
                "sent_at": document.sent_at,
            }

    if kind.model is Invoice:

        @blp.route("/<int:doc_id>/payments", methods=["POST"])
        @blp.arguments(PaymentCreateSchema)
        @blp.response(201, PaymentSchema)
        @blp.alt_response(404, response="NOT_FOUND")
        @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
        def add_payment(values, doc_id: int):
            """Record a payment (the admin detail page's action; emails the customer unless notify is false)"""
            invoice = _document_or_404(kind, doc_id)
            try:
                payment = record_payment(
                    invoice,
                    values["amount"],
                    values["paid_on"],
                    values["method"],
                    notify=values["notify"],
                    actor=acting_staff(),
                )
            except ServiceError as exc:
                db.session.rollback()
                refuse(exc)
            return payment, 201

    return blp


BLUEPRINTS = tuple(_document_routes(kind) for kind in DOCUMENT_KINDS)
