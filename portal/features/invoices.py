"""Invoices, credit notes and the account statement (all under the Invoices permission)."""

from __future__ import annotations

from datetime import date
from functools import cache, lru_cache
from typing import NamedTuple

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Date, and_, bindparam, exists, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from core.extensions import db
from core.girocode import bank_transfer_for
from core.i18n import _, current_language
from core.labels import label
from core.models import CreditNote, Invoice, Payment
from core.pagination import pageable, paginate
from core.payments import card_payment_options, pay_several_allowed
from core.pdf import document_pdf, pdf_download, pdf_filename, statement_filename, statement_pdf
from core.services.bank_details import BankDetails, bank_details_columns
from core.services.statements import (
    account_statement,
    invoice_overview,
    parse_period,
    statement_currencies,
)
from core.urls import cached_url_for

from ..guards import (
    feature_blueprint,
    load_owned_row_or_404,
    owned_or_404,
    owned_statement,
    scoped,
)

bp = feature_blueprint("invoices", __name__, "invoices")

STATUS_FILTERS = ("unpaid", "partially_paid", "paid", "overdue", "cancelled")


class FilterLink(NamedTuple):
    text: str
    url: str
    active: bool


@lru_cache(maxsize=4096)
def _filter_links(status: str, year: str, years: tuple[int, ...], language: str, script_root: str):
    """The list's status links (All + STATUS_FILTERS, keeping the year) and year links (All years
    + ``years``, keeping the status), built once per combination: a dozen URLs per page view
    otherwise. ``language`` and ``script_root`` are part of the key only (texts and URLs)."""
    endpoint = "portal.invoices.index"
    keep_year, keep_status = year or None, status or None
    statuses = [FilterLink(_("All"), cached_url_for(endpoint, year=keep_year), not status)]
    for value in STATUS_FILTERS:
        url = cached_url_for(endpoint, status=value, year=keep_year)
        statuses.append(FilterLink(label(value), url, value == status))
    by_year = [FilterLink(_("All years"), cached_url_for(endpoint, status=keep_status), not year)]
    for value in years:
        url = cached_url_for(endpoint, status=keep_status, year=value)
        by_year.append(FilterLink(str(value), url, str(value) == year))
    return tuple(statuses), tuple(by_year)


_TODAY = bindparam("today", type_=Date)
# The list's rows are plain rows of what the table shows, the status as the customer sees it
# and the balance computed by the database (the same rules as ``Invoice.display_status`` and
# ``Invoice.balance``): 20 ORM objects per page cost more than the rest of the query.
_LIST_COLUMNS = (
    Invoice.id,
    Invoice.number,
    Invoice.date,
    Invoice.due_date,
    Invoice.display_status(_TODAY).label("display_status"),
    Invoice.total,
    Invoice.balance.label("balance"),
    Invoice.currency,
    Invoice.is_open.label("is_open"),
)


def _status_condition(status: str):
    """The SQL for the status filter ``status``, as the customer sees statuses on ``:today``."""
    if status == "overdue":
        return Invoice.is_overdue(_TODAY)
    if status in ("unpaid", "partially_paid"):
        return and_(Invoice.status == status, or_(Invoice.due_date.is_(None), Invoice.due_date >= _TODAY))
    return Invoice.status == status


@cache
def _list_statement(status: str, by_year: bool):
    """The list's select for a status filter (or "") and an optional year, built once per
    combination (12 in all) with the customer, today, the year's bounds and the page as bound
    parameters: building a select and its cache key cost more than running it."""
    stmt = select(*_LIST_COLUMNS).where(Invoice.customer_id == bindparam("customer_id"), Invoice.visible_to_customer)
    if status:
        stmt = stmt.where(_status_condition(status))
    if by_year:
        stmt = stmt.where(Invoice.date.between(bindparam("year_start", type_=Date), bindparam("year_end", type_=Date)))
    return pageable(stmt.order_by(Invoice.date.desc(), Invoice.id.desc()))


@bp.route("/invoices")
def index():
    today = date.today()
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    overview = invoice_overview(current_user.customer_id, today)
    years = overview.years
    year = request.args.get("year", "")
    params = {"customer_id": current_user.customer_id, "today": today}
    if year:
        if year.isdigit() and int(year) in years:
            params.update(year_start=date(int(year), 1, 1), year_end=date(int(year), 12, 31))
        else:
            flash(_("There are no invoices in that year; showing all years."), "warning")
            year = ""
    return render_template(
        "portal/invoices/index.html",
        page=paginate(_list_statement(status, bool(year)), params=params),
        status=status,
        year=year,
        filter_links=_filter_links(status, year, tuple(years), current_language(), request.script_root),
        balances=overview.balances,
        # "Pay selected": no query at all unless Stripe is configured.
        pay_several=pay_several_allowed(),
    )


# The items come in the invoice's own query (a join); payments in a second one (joining both
# collections would return items x payments rows), from a statement built once
# (``_with_payments``): SQLAlchemy's selectin loader builds its SELECT anew on every load,
# which cost more than running it.
_INVOICE = owned_statement(
    Invoice, joinedload(Invoice.items), lazyload(Invoice.payments), condition=Invoice.visible_to_customer
)
_PAYMENTS_OF_INVOICE = (
    select(Payment).where(Payment.invoice_id == bindparam("invoice_id")).order_by(Payment.date, Payment.id)
)
_CREDIT_NOTE_OF_INVOICE = (CreditNote.invoice_id == Invoice.id) & (CreditNote.customer_id == Invoice.customer_id)
# The detail page also asks whether any credit note refers to the invoice (few do), so the
# query for them runs only when there is something to show. The page and the PDF read the
# company's bank account (for the bank transfer) in the invoice's query: no extra round trip.
_INVOICE_PAGE = _INVOICE.add_columns(
    exists().where(_CREDIT_NOTE_OF_INVOICE).label("has_credit_notes"), *bank_details_columns()
)
_INVOICE_PDF = _INVOICE.add_columns(*bank_details_columns())
_CREDIT_NOTES_OF_INVOICE = (
    select(CreditNote)
    .where(CreditNote.customer_id == bindparam("customer_id"), CreditNote.invoice_id == bindparam("invoice_id"))
    .order_by(CreditNote.id)
)


def _with_payments(invoice: Invoice) -> Invoice:
    """``invoice`` with ``invoice.payments`` loaded (oldest first) by one prebuilt query."""
    payments = db.session.scalars(_PAYMENTS_OF_INVOICE, {"invoice_id": invoice.id}).all()
    set_committed_value(invoice, "payments", payments)
    return invoice


@bp.route("/invoices/<int:invoice_id>")
def detail(invoice_id: int):
    row = load_owned_row_or_404(_INVOICE_PAGE, invoice_id)
    invoice, has_credit_notes = row[0], row.has_credit_notes
    _with_payments(invoice)
    credit_notes = []
    if has_credit_notes:
        notes_params = {"customer_id": invoice.customer_id, "invoice_id": invoice.id}
        credit_notes = db.session.scalars(_CREDIT_NOTES_OF_INVOICE, notes_params).all()
    bank_transfer = bank_transfer_for(invoice, BankDetails.from_values(row._mapping))
    # Card payments: no query at all unless Stripe is configured and the invoice owes something.
    card, partial = card_payment_options() if invoice.is_open and invoice.balance > 0 else (False, False)
    return render_template(
        "portal/invoices/detail.html",
        invoice=invoice,
        credit_notes=credit_notes,
        today=date.today(),
        bank_transfer=bank_transfer,
        pay_by_card=card,
        partial_payments=partial,
    )


@bp.route("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    row = load_owned_row_or_404(_INVOICE_PDF, invoice_id)
    invoice, bank = _with_payments(row[0]), BankDetails.from_values(row._mapping)
    data = document_pdf("invoice", invoice, current_user.customer, current_app.config["COMPANY_NAME"], bank=bank)
    return pdf_download(data, pdf_filename("invoice", invoice))


@bp.route("/credit-notes")
def credit_notes():
    stmt = scoped(CreditNote).order_by(CreditNote.date.desc(), CreditNote.id.desc())
    page = paginate(stmt)
    return render_template("portal/invoices/credit_notes.html", page=page)


def _credit_note(credit_note_id: int) -> CreditNote:
    return owned_or_404(CreditNote, credit_note_id, selectinload(CreditNote.items), joinedload(CreditNote.invoice))


@bp.route("/credit-notes/<int:credit_note_id>")
def credit_note(credit_note_id: int):
    return render_template("portal/invoices/credit_note.html", note=_credit_note(credit_note_id))


@bp.route("/credit-notes/<int:credit_note_id>/pdf")
def credit_note_pdf(credit_note_id: int):
    note = _credit_note(credit_note_id)
    data = document_pdf("credit_note", note, current_user.customer, current_app.config["COMPANY_NAME"])
    return pdf_download(data, pdf_filename("credit_note", note))


def _statement():
    """The statement the query string asks for, and the currencies the customer can choose."""
    customer = current_user.customer
    period = parse_period(request.args.get("from"), request.args.get("to"), date.today())
    currencies = statement_currencies(customer.id, preferred=customer.currency) or [customer.currency]
    currency = request.args.get("currency", "")
    if currency not in currencies:
        currency = currencies[0]
    return period, currencies, account_statement(customer.id, period.start, period.end, currency)


@bp.route("/statement")
def statement():
    period, currencies, result = _statement()
    if period.error:
        flash(period.error, "warning")
    return render_template("portal/invoices/statement.html", statement=result, currencies=currencies)


@bp.route("/statement.pdf")
def statement_download():
    period, _currencies, result = _statement()
    if period.error:
        # A download cannot show the message: show it on the page, for the default period.
        flash(period.error, "warning")
        return redirect(url_for("portal.invoices.statement", currency=result.currency))
    data = statement_pdf(result, current_user.customer, current_app.config["COMPANY_NAME"])
    return pdf_download(data, statement_filename(result))
