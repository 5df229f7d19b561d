"""Invoice actions staff take: recording a payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import Invoice, Payment, money
from core.notifications.notify import notify_invoice
from core.webhooks import emit_payment

from . import ServiceError
from .documents.common import readable_number


def record_payment(
    invoice: Invoice, amount, paid_on: date, method: str = "Bank transfer", *, notify: bool = True, actor=None
) -> Payment:
    """Add a payment, update the paid amount and status, notify the customer (unless ``notify``
    is False: staff chose to skip the email), audit it as ``actor``'s, and commit.

    Refuses non-positive amounts, amounts above the open balance, and draft or cancelled invoices.
    """
    try:
        amount = money(Decimal(str(amount)))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Enter the amount as a number, e.g. 120.50.")) from exc
    if invoice.status in ("draft", "cancelled"):
        raise ServiceError(
            _("A draft invoice cannot receive payments.")
            if invoice.status == "draft"
            else _("A cancelled invoice cannot receive payments.")
        )
    if amount <= 0:
        raise ServiceError(_("The amount must be greater than zero."))
    if amount > invoice.balance:
        raise ServiceError(
            _(
                "The amount is larger than the open balance of %(balance)s.",
                balance=readable_number(invoice.balance, grouping=False),
            )
        )
    payment = Payment(amount=amount, date=paid_on, method=method.strip()[:40] or "Bank transfer")
    invoice.payments.append(payment)
    invoice.add_paid(amount)
    if notify:
        notify_invoice("payment_recorded", invoice, payment=payment)
    emit_payment(invoice, payment)
    record(
        "invoice.payment_recorded",
        actor=actor,
        customer_id=invoice.customer_id,
        target=invoice,
        amount=str(amount),
        paid_on=paid_on.isoformat(),
        method=payment.method,
        emailed=notify,
    )
    db.session.commit()
    return payment
