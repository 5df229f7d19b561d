"""Invoices and credit notes (both under the Invoices permission)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from sqlalchemy import and_, or_
from sqlalchemy.orm import selectinload

from core.models import CreditNote, Invoice
from core.pagination import paginate

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("invoices", __name__, "invoices")

STATUS_FILTERS = ("unpaid", "partially_paid", "paid", "overdue", "cancelled")


def _status_condition(status: str, today: date):
    if status == "overdue":
        return and_(Invoice.status.in_(("unpaid", "partially_paid")), Invoice.due_date < today)
    if status in ("unpaid", "partially_paid"):
        return and_(Invoice.status == status, or_(Invoice.due_date.is_(None), Invoice.due_date >= today))
    return Invoice.status == status


@bp.route("/invoices")
def index():
    today = date.today()
    status = request.args.get("status", "")
    # Drafts are staff work in progress: the customer never sees them.
    stmt = scoped(Invoice).where(Invoice.status != "draft").order_by(Invoice.date.desc(), Invoice.id.desc())
    if status in STATUS_FILTERS:
        stmt = stmt.where(_status_condition(status, today))
    page = paginate(stmt)
    return render_template("portal/invoices/index.html", page=page, status=status, statuses=STATUS_FILTERS, today=today)


@bp.route("/invoices/<int:invoice_id>")
def detail(invoice_id: int):
    invoice = owned_or_404(
        Invoice,
        invoice_id,
        selectinload(Invoice.items),
        selectinload(Invoice.payments),
        condition=Invoice.status != "draft",
    )
    return render_template("portal/invoices/detail.html", invoice=invoice, today=date.today())


@bp.route("/credit-notes")
def credit_notes():
    stmt = scoped(CreditNote).order_by(CreditNote.date.desc(), CreditNote.id.desc())
    page = paginate(stmt)
    return render_template("portal/invoices/credit_notes.html", page=page)


@bp.route("/credit-notes/<int:credit_note_id>")
def credit_note(credit_note_id: int):
    note = owned_or_404(CreditNote, credit_note_id, selectinload(CreditNote.items))
    return render_template("portal/invoices/credit_note.html", note=note)
