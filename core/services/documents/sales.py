"""Invoices, credit notes and estimates: create, edit, delete drafts, convert an estimate.

Rules: at least one line item; a paid or cancelled invoice keeps its lines, discount and
currency; an accepted or declined estimate is not edited at all; the project (and a credit
note's invoice) must belong to the document's customer; only drafts are deleted. Totals are
always recomputed by ``recalculate()``; numbers come from ``core.services.numbering``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import update

from core.document_kinds import DOCUMENT_KINDS_BY_KEY, DocumentKind, kind_of
from core.extensions import db
from core.i18n import _, _l, ngettext
from core.labels import label
from core.models import CreditNote, Estimate, Invoice, money, utcnow
from core.webhooks import emit

from .. import ServiceError
from ..numbering import next_number, with_number_retry
from .common import (
    MAX_AMOUNT,
    MAX_NOTES,
    audit,
    check_amount,
    check_currency,
    check_invoice,
    check_order,
    check_project,
    clean_text,
    earlier_submission,
    lock_customer,
    readable_number,
)

MAX_LINES = 100
MAX_DESCRIPTION = 255  # the column's length
MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("1000000000")
CONVERTED_INVOICE_DUE_DAYS = 14
MANUAL_INVOICE_STATUSES = ("draft", "unpaid", "cancelled")  # paid/partially paid follow the payments
INVOICE = DOCUMENT_KINDS_BY_KEY["invoice"]


@dataclass(frozen=True)
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal("0")


@dataclass
class SalesData:
    """What staff entered for an invoice, credit note or estimate (fields of other kinds ignored)."""

    date: date
    status: str
    lines: list[LineData] = field(default_factory=list)
    currency: str = ""
    discount: Decimal | None = None
    notes: str = ""
    project_id: int | None = None
    due_date: date | None = None  # invoice
    expiry_date: date | None = None  # estimate
    invoice_id: int | None = None  # credit note
    form_token: str | None = None


def allowed_statuses(kind_key: str, document=None) -> tuple[str, ...]:
    """The statuses staff may choose: the form's choices and the service's check in one place."""
    kind = DOCUMENT_KINDS_BY_KEY[kind_key]
    if document is None:
        return kind.new_statuses
    if kind.key == "invoice":
        if document.amount_paid > 0:
            return (document.status,)
        statuses = MANUAL_INVOICE_STATUSES
        return statuses if document.status in statuses else (document.status, *statuses)
    return kind.statuses


# Why a document in one of these statuses is fixed: one whole sentence each (for translation).
_ESTIMATE_DECIDED = {
    "accepted": _l("This estimate was accepted; it can no longer be edited."),
    "declined": _l("This estimate was declined; it can no longer be edited."),
}
_INVOICE_CLOSED = {
    "paid": _l("This invoice is paid; its line items, discount and currency cannot be changed."),
    "cancelled": _l("This invoice is cancelled; its line items, discount and currency cannot be changed."),
}


def _reason(messages: dict, document) -> str | None:
    message = messages.get(document.status)
    return str(message) if message is not None else None


def edit_refused(document) -> str | None:
    """Why the document cannot be edited at all, or None."""
    return _reason(_ESTIMATE_DECIDED, document) if isinstance(document, Estimate) else None


def lines_locked(document) -> str | None:
    """Why the document's line items, discount and currency are fixed, or None."""
    return _reason(_INVOICE_CLOSED, document) if isinstance(document, Invoice) else None


def delete_refused(document) -> str | None:
    """Why staff may not delete the document, or None: only drafts are deleted."""
    if isinstance(document, Invoice) and (document.status != "draft" or document.payments):
        return _("Only draft invoices can be deleted. Cancel this invoice instead.")
    if isinstance(document, Estimate) and (document.status != "draft" or document.invoice_id):
        return _("Only draft estimates can be deleted.")
    if isinstance(document, CreditNote) and document.sent_at is not None:
        return _("This credit note was sent to the customer, so it is no longer a draft and cannot be deleted.")
    return None


def clean_lines(lines: list[LineData]) -> list[LineData]:
    """The line items checked and rounded to cents; refuses none, too many and bad values."""
    if not lines:
        raise ServiceError(_("Add at least one line item with a description, quantity and unit price."))
    if len(lines) > MAX_LINES:
        raise ServiceError(
            ngettext(
                "A document holds at most %(max)d line item.",
                "A document holds at most %(max)d line items.",
                MAX_LINES,
                max=MAX_LINES,
            )
        )
    cleaned = []
    for number, line in enumerate(lines, 1):
        cleaned.append(
            LineData(
                description=clean_text(
                    line.description, _("Line %(number)d: description", number=number), MAX_DESCRIPTION, required=True
                ),
                quantity=check_amount(
                    line.quantity,
                    _("Line %(number)d: quantity", number=number),
                    minimum=Decimal("0.01"),
                    maximum=MAX_QUANTITY,
                ),
                unit_price=check_amount(
                    line.unit_price, _("Line %(number)d: unit price", number=number), maximum=MAX_UNIT_PRICE
                ),
                tax_rate=check_amount(
                    line.tax_rate, _("Line %(number)d: tax %%", number=number), maximum=Decimal("100")
                ),
            )
        )
    return cleaned


def _line_key(line) -> tuple:
    return (line.description, money(line.quantity), money(line.unit_price), money(line.tax_rate))


def _items(kind: DocumentKind, lines: list[LineData]) -> list:
    return [
        kind.item_model(
            position=position,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
        )
        for position, line in enumerate(lines, 1)
    ]


def _checked_total(kind: DocumentKind, lines: list[LineData], discount: Decimal) -> Decimal:
    """The total ``recalculate()`` will give; refuses what NUMERIC(12, 2) cannot hold and a negative total."""
    probe = kind.model(discount=discount)  # never added to the session
    probe.items = _items(kind, lines)
    probe.recalculate()
    if max(probe.subtotal, probe.tax_total, probe.subtotal + probe.tax_total) > MAX_AMOUNT:
        raise ServiceError(_("The total is too large; it must stay below %(max)s.", max=readable_number(MAX_AMOUNT)))
    if probe.total < 0:
        raise ServiceError(_("The discount cannot be larger than the subtotal plus tax."))
    return probe.total


def _check_status(kind: DocumentKind, document, status: str) -> str:
    if status not in kind.statuses:
        raise ServiceError(_("Choose one of the listed statuses."))
    if document is not None and status == document.status:
        return status
    if status not in allowed_statuses(kind.key, document):
        if kind.key == "invoice" and document is not None and document.amount_paid > 0:
            raise ServiceError(_("This invoice has payments; its status follows the recorded payments."))
        if kind.key == "invoice":
            raise ServiceError(_("Paid and partially paid are set by recording payments."))
        raise ServiceError(str(kind.texts.new_status_refused) % {"status": label(status).lower()})
    return status


def _apply(kind: DocumentKind, document, customer_id: int, data: SalesData, *, currency_fallback: str) -> None:
    """Check ``data`` against the rules and copy it onto ``document`` (not committed)."""
    status = _check_status(kind, document if document.id else None, data.status)
    lines = clean_lines(data.lines)
    discount = check_amount(data.discount, _("The discount"))
    currency = check_currency(data.currency, currency_fallback)
    notes = clean_text(data.notes, _("The notes"), MAX_NOTES)
    project_id = check_project(customer_id, data.project_id)
    locked = lines_locked(document) if document.id else None
    same_lines = bool(document.id) and [_line_key(i) for i in document.items] == [_line_key(li) for li in lines]
    if locked and not (same_lines and money(document.discount) == discount and document.currency == currency):
        raise ServiceError(locked)
    total = _checked_total(kind, lines, discount)
    paid = (document.amount_paid or Decimal("0")) if kind.key == "invoice" else Decimal("0")
    if paid > total:
        raise ServiceError(
            _("The new total is below the %(paid)s already paid.", paid=readable_number(paid, grouping=False))
        )
    if paid > 0:
        status = "paid" if paid >= total else "partially_paid"
    if kind.key == "invoice":
        check_order(data.date, data.due_date, _("The due date cannot be before the invoice date."))
    elif kind.key == "estimate":
        check_order(data.date, data.expiry_date, _("The expiry date cannot be before the estimate date."))
    invoice_id = check_invoice(customer_id, data.invoice_id) if kind.key == "credit_note" else None
    # Every check passed: only now is the document changed.
    if kind.key == "invoice":
        document.due_date = data.due_date
    elif kind.key == "estimate":
        document.expiry_date = data.expiry_date
    else:
        document.invoice_id = invoice_id
    document.date, document.discount, document.currency = data.date, discount, currency
    document.notes, document.project_id = notes, project_id
    if not same_lines:
        document.items = _items(kind, lines)
    document.recalculate()
    if kind.key == "estimate" and status in ("accepted", "declined") and status != document.status:
        document.decided_at = utcnow()  # staff recording the customer's answer (phone, email)
    document.status = status


def create_sales_document(kind_key: str, customer_id: int | None, data: SalesData, *, actor) -> Invoice:
    """Create an invoice, credit note or estimate with the next number, and commit.

    A second submission of the same form (same ``form_token``) returns the first document.
    """
    kind = DOCUMENT_KINDS_BY_KEY[kind_key]
    action = f"{kind.key}.created"

    def unit_of_work():
        customer = lock_customer(customer_id)
        earlier = earlier_submission(action, data.form_token, kind.model)
        if earlier is not None:
            db.session.commit()
            return earlier
        document = kind.model(customer_id=customer.id)
        _apply(kind, document, customer.id, data, currency_fallback=customer.currency)
        document.number = next_number(kind, data.date.year)
        db.session.add(document)
        db.session.flush()
        audit(action, actor, document, number=document.number, total=document.total, form_token=data.form_token)
        if kind.key == "invoice":
            emit("invoice.created", document)
        db.session.commit()
        return document

    return with_number_retry(unit_of_work)


def update_sales_document(document, data: SalesData, *, actor) -> None:
    """Save staff's changes to an invoice, credit note or estimate under the rules, and commit."""
    kind = kind_of(document)
    refused = edit_refused(document)
    if refused:
        raise ServiceError(refused)
    before = {"status": document.status, "total": document.total}
    _apply(kind, document, document.customer_id, data, currency_fallback=document.currency)
    _emit_status_change(kind, document, before["status"])
    audit(
        f"{kind.key}.updated",
        actor,
        document,
        before=before,
        after={"status": document.status, "total": document.total},
    )
    db.session.commit()


def _emit_status_change(kind: DocumentKind, document, before: str) -> None:
    """Staff recording a customer's answer to an estimate, or a lower total that the payments
    now cover, are real changes: their webhook events, as when they happen elsewhere."""
    if document.status == before:
        return
    if kind.key == "estimate" and document.status in ("accepted", "declined"):
        emit(f"estimate.{document.status}", document)
    elif kind.key == "invoice" and document.status == "paid":
        emit("invoice.paid", document)


def delete_sales_document(document, *, actor) -> None:
    """Delete a draft and commit; references to a deleted invoice are cleared, not left dangling."""
    kind = kind_of(document)
    refused = delete_refused(document)
    if refused:
        raise ServiceError(refused)
    if kind.key == "invoice":
        db.session.execute(update(Estimate).where(Estimate.invoice_id == document.id).values(invoice_id=None))
        db.session.execute(update(CreditNote).where(CreditNote.invoice_id == document.id).values(invoice_id=None))
    audit(f"{kind.key}.deleted", actor, document, number=document.number)
    db.session.delete(document)
    db.session.commit()


def convert_estimate(estimate: Estimate, *, actor) -> Invoice:
    """The invoice made from an accepted estimate: created once as a draft, then always the same.

    The estimate is linked with a conditional update (only while it has no invoice), so two
    conversions at the same moment still make one invoice: the slower one is rolled back and
    answers with the invoice the faster one created.
    """
    estimate_id = estimate.id

    def existing() -> Invoice | None:
        current = db.session.get(Estimate, estimate_id)
        if current is None:
            raise ServiceError(_("This estimate no longer exists."))
        return db.session.get(Invoice, current.invoice_id) if current.invoice_id else None

    def unit_of_work() -> Invoice:
        invoice = existing()
        if invoice is not None:
            return invoice
        current = db.session.get(Estimate, estimate_id)
        if current.status != "accepted":
            raise ServiceError(_("Only an accepted estimate can be converted to an invoice."))
        today = date.today()
        invoice = Invoice(
            customer_id=current.customer_id,
            project_id=current.project_id,
            number=next_number(INVOICE, today.year),
            date=today,
            due_date=today + timedelta(days=CONVERTED_INVOICE_DUE_DAYS),
            status="draft",
            currency=current.currency,
            discount=current.discount,
            notes=current.notes,
            items=_items(INVOICE, [LineData(*_line_key(item)) for item in current.items]),
        )
        invoice.recalculate()
        db.session.add(invoice)
        db.session.flush()
        linked = db.session.execute(
            update(Estimate)
            .where(Estimate.id == estimate_id, Estimate.invoice_id.is_(None))
            .values(invoice_id=invoice.id)
            .execution_options(synchronize_session="fetch")
        )
        if linked.rowcount != 1:
            db.session.rollback()
            invoice = existing()
            if invoice is None:
                raise ServiceError(_("The estimate changed meanwhile. Please try again."))
            return invoice
        audit("estimate.converted", actor, current, number=current.number, invoice=invoice.number)
        emit("invoice.created", invoice)
        db.session.commit()
        return invoice

    return with_number_retry(unit_of_work)
