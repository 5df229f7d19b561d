"""Payments in the admin area: every payment with filters (status, method, dates), the card
payments flagged for review, and refunds of card payments through their gateway."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from core.extensions import db
from core.i18n import _, _l
from core.labels import label
from core.models import PAYMENT_KINDS, PAYMENT_STATUSES, Customer, Invoice, Payment, PaymentAttempt
from core.pagination import paginate
from core.payments.service import refund_payment
from core.services import ServiceError

from . import bp


class PaymentFilterForm(FlaskForm):
    """The filters, read from the query string (a GET form: no CSRF token, no state change)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[], default="")
    kind = SelectField(_l("Method"), choices=[], default="")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    flagged = BooleanField(_l("Only card payments flagged for review"))

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date is before the start date."))


def _filter_form() -> PaymentFilterForm:
    form = PaymentFilterForm(request.args)
    form.status.choices = [SelectChoice("", _("Any status"))] + [SelectChoice(s, label(s)) for s in PAYMENT_STATUSES]
    form.kind.choices = [SelectChoice("", _("Any method"))] + [SelectChoice(k, label(k)) for k in PAYMENT_KINDS]
    form.validate()
    return form


_COLUMNS = (
    Payment.id,
    Payment.date,
    Payment.invoice_id,
    Payment.kind,
    Payment.method,
    Payment.gateway_reference,
    Payment.status,
    Payment.amount,
    Payment.refunded_amount,
    Invoice.number,
    Invoice.currency,
    Customer.company,
)


def _payments(form: PaymentFilterForm):
    """Payments with their invoice number and company, newest first, narrowed by the valid filters."""
    stmt = (
        select(*_COLUMNS)
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .join(Customer, Invoice.customer_id == Customer.id)
        .order_by(Payment.date.desc(), Payment.id.desc())
    )
    ok = {name for name, field in form._fields.items() if not field.errors and field.data}
    if "status" in ok:
        stmt = stmt.where(Payment.status == form.status.data)
    if "kind" in ok:
        stmt = stmt.where(Payment.kind == form.kind.data)
    if "date_from" in ok:
        stmt = stmt.where(Payment.date >= form.date_from.data)
    if "date_to" in ok:
        stmt = stmt.where(Payment.date <= form.date_to.data)
    return stmt


def _flagged(form: PaymentFilterForm):
    """Card payments received but not booked (unknown intent, mismatch): staff decide."""
    stmt = select(PaymentAttempt).where(PaymentAttempt.needs_review.is_(True))
    if form.date_from.data and not form.date_from.errors:
        stmt = stmt.where(PaymentAttempt.created_at >= form.date_from.data)
    return stmt.order_by(PaymentAttempt.created_at.desc(), PaymentAttempt.id.desc())


@bp.route("/payments")
def payments():
    form = _filter_form()
    flagged = bool(form.flagged.data)
    page = paginate(_flagged(form) if flagged else _payments(form))
    return render_template("admin/payments/index.html", form=form, page=page, flagged=flagged)


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
def payment_refund(payment_id: int):
    payment = db.get_or_404(Payment, payment_id)
    try:
        amount = refund_payment(payment, request.form.get("amount"), current_user)
    except ServiceError as exc:
        flash(str(exc), "danger")
    else:
        flash(_("Refunded %(amount)s.", amount=amount), "success")
    return redirect(url_for("admin.document_detail", slug="invoices", doc_id=payment.invoice_id), code=303)
