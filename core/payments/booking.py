"""Booking card payments exactly once, whoever reports them first.

The webhook and the contact's return to the portal both end in ``book_intent``; either may come
first, twice, or out of order. A payment is booked only for an intent we created (a
``PaymentAttempt``), only for the attempt's amount and currency, and only while the invoice is
open and owes at least that much; anything else is logged and flagged for staff review, never
booked. The payment's gateway reference (the intent id) is unique, so a race between the two
paths books one payment: the loser's INSERT fails and its transaction changes nothing.

Several invoices paid with one intent (``several.py``) are booked by ``book_group``: one payment
per invoice, each for its attempt's amount, with the attempt's reference ``<intent id>#<invoice
id>`` (still unique), all in one transaction or none; any mismatch flags the whole group.

Nothing here commits: the caller (``service.py``, the webhook) owns the transaction, so the
event id, the payment, the invoice's new balance and the receipts are stored together or not at all.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.models import Contact, Customer, Invoice, Payment, PaymentAttempt, money
from core.models.payments import GROUP_SEPARATOR
from core.notifications.notify import notify_invoice, notify_staff
from core.notifications.recipients import recipients_for
from core.webhooks import emit_payment

from .gateway import SUCCEEDED, Intent, from_minor, to_minor

BOOKED, ALREADY_BOOKED, FLAGGED, NOT_YET, FAILED = "booked", "already_booked", "flagged", "not_yet", "failed"


def attempt_for(intent_id: str) -> PaymentAttempt | None:
    """The attempt of ``intent_id``, locked for this transaction (PostgreSQL: a second booking
    of the same intent waits here until the first has committed, then finds the payment)."""
    stmt = select(PaymentAttempt).where(PaymentAttempt.intent_id == intent_id).with_for_update()
    return db.session.scalar(stmt)


def payment_for(intent_id: str) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.gateway_reference == intent_id))


def _flag(attempt: PaymentAttempt, reason: str) -> str:
    current_app.logger.warning("Card payment %s flagged for review: %s", attempt.intent_id, reason)
    attempt.needs_review = True
    attempt.review_reason = reason[:200]
    return FLAGGED


def _amount_mismatch(intent: Intent, amount: Decimal, currency: str) -> str:
    if intent.currency != currency or intent.amount_minor != to_minor(amount, currency):
        paid = from_minor(intent.amount_minor, intent.currency)
        return f"paid {paid} {intent.currency}, expected {amount} {currency}"
    return ""


def _mismatch(attempt: PaymentAttempt, intent: Intent, invoice: Invoice | None) -> str:
    """Why the intent cannot be booked on the attempt's invoice ("" when it can)."""
    problem = _amount_mismatch(intent, attempt.amount, attempt.currency)
    if problem:
        return problem
    return _invoice_mismatch(attempt, intent, invoice)


def _invoice_mismatch(attempt: PaymentAttempt, intent: Intent, invoice: Invoice | None) -> str:
    if invoice is None:
        return "the invoice no longer exists"
    if intent.metadata.get("invoice_id") not in (None, str(invoice.id)):
        return f"the intent names invoice id {intent.metadata.get('invoice_id')}, not {invoice.id}"
    if invoice.currency != attempt.currency:
        return f"the invoice is in {invoice.currency} now"
    if not invoice.is_open:
        return f"invoice {invoice.number} is {invoice.status}"
    if attempt.amount > invoice.balance:
        return f"{attempt.amount} {attempt.currency} is more than the balance of {invoice.balance} on {invoice.number}"
    return ""


def book_intent(intent: Intent, gateway: str) -> str:
    """Book ``intent`` if it succeeded and matches its attempt; returns what happened.

    BOOKED (payment added, invoice updated, receipts queued), ALREADY_BOOKED, FLAGGED (unknown
    intent or a mismatch: staff review it), NOT_YET (still pending) or FAILED (declined).
    """
    attempt = attempt_for(intent.id)
    if attempt is None:
        group = group_attempts(intent.id)
        if group:
            return book_group(intent, group, gateway)
        if intent.status != SUCCEEDED:
            return NOT_YET
        attempt = PaymentAttempt(
            gateway=gateway,
            intent_id=intent.id,
            amount=from_minor(intent.amount_minor, intent.currency),
            currency=intent.currency,
            status=SUCCEEDED,
        )
        db.session.add(attempt)
        return _flag(attempt, f"no invoice of ours asked for this payment (metadata {intent.metadata})")
    if payment_for(intent.id) is not None:
        return ALREADY_BOOKED
    if intent.status != SUCCEEDED:
        if intent.failed:
            attempt.status = "failed"
            return FAILED
        return NOT_YET
    attempt.status = SUCCEEDED
    if attempt.needs_review:
        return FLAGGED
    invoice = db.session.get(Invoice, attempt.invoice_id) if attempt.invoice_id else None
    problem = _mismatch(attempt, intent, invoice)
    if problem:
        return _flag(attempt, problem)
    _book(attempt, invoice, gateway)
    return BOOKED


def group_attempts(intent_id: str, lock: bool = True) -> list[PaymentAttempt]:
    """The attempts of a group paid with ``intent_id`` (one per invoice, in order), locked like
    ``attempt_for`` unless ``lock`` is False (only to show them)."""
    prefix = f"{intent_id}{GROUP_SEPARATOR}"
    stmt = select(PaymentAttempt).where(PaymentAttempt.intent_id.startswith(prefix, autoescape=True))
    stmt = stmt.order_by(PaymentAttempt.id)
    return list(db.session.scalars(stmt.with_for_update() if lock else stmt))


def book_group(intent: Intent, attempts: list[PaymentAttempt], gateway: str) -> str:
    """Book one payment per invoice of a group, each for its attempt's amount, or none at all.

    The same rules as one invoice's booking: the intent must be for the group's total in its
    currency and every invoice must still be open and owe its amount; otherwise the whole group
    is flagged. All payments are booked in one transaction, so one of them booked means all.
    """
    if payment_for(attempts[0].intent_id) is not None:
        return ALREADY_BOOKED
    if intent.status != SUCCEEDED:
        if intent.failed:
            for attempt in attempts:
                attempt.status = "failed"
            return FAILED
        return NOT_YET
    for attempt in attempts:
        attempt.status = SUCCEEDED
    if any(attempt.needs_review for attempt in attempts):
        return FLAGGED
    invoices = [db.session.get(Invoice, a.invoice_id) if a.invoice_id else None for a in attempts]
    problem = _group_mismatch(attempts, intent, invoices)
    if problem:
        for attempt in attempts:
            _flag(attempt, problem)
        return FLAGGED
    for attempt, invoice in zip(attempts, invoices, strict=True):
        _book(attempt, invoice, gateway)
    return BOOKED


def _group_mismatch(attempts: list[PaymentAttempt], intent: Intent, invoices: list[Invoice | None]) -> str:
    currencies = {attempt.currency for attempt in attempts}
    if len(currencies) != 1:
        return f"the group mixes currencies {sorted(currencies)}"
    problem = _amount_mismatch(intent, money(sum(a.amount for a in attempts)), currencies.pop())
    if problem:
        return problem
    if len({invoice.customer_id for invoice in invoices if invoice is not None}) > 1:
        return "the group's invoices belong to different customers"
    for attempt, invoice in zip(attempts, invoices, strict=True):
        problem = _invoice_mismatch(attempt, intent, invoice)
        if problem:
            return problem
    return ""


def _book(attempt: PaymentAttempt, invoice: Invoice, gateway: str) -> Payment:
    payment = Payment(
        amount=attempt.amount,
        date=date.today(),
        method="Card",
        reference=attempt.intent_id,
        kind="card",
        gateway=gateway,
        gateway_reference=attempt.intent_id,
        status="succeeded",
    )
    invoice.payments.append(payment)
    # The unique gateway reference: a concurrent booking of the same intent fails here (or at
    # the commit) and rolls back everything it did.
    db.session.flush()
    invoice.add_paid(attempt.amount)
    queue_receipts(invoice, payment, attempt.contact)
    emit_payment(invoice, payment)
    return payment


def queue_receipts(invoice: Invoice, payment: Payment, payer: Contact | None) -> None:
    """The payment confirmation (``payment_recorded``) to the contacts the recipient rule names
    (Invoice toggle and Invoices permission) plus the contact who paid, once each; staff are told."""
    recipients = recipients_for(invoice.customer_id, "invoice")
    if payer is not None and payer.may_log_in and payer.can("invoices") and payer not in recipients:
        recipients.append(payer)
    notify_invoice("payment_recorded", invoice, recipients=recipients, payment=payment)
    notify_staff(
        "staff_payment_received",
        link_values={"slug": "invoices", "doc_id": invoice.id},
        context={"invoice": invoice, "payment": payment, "customer": db.session.get(Customer, invoice.customer_id)},
        customer_id=invoice.customer_id,
    )


def apply_refund_total(intent_id: str, refunded_minor: int) -> str:
    """The gateway says ``refunded_minor`` of the intent is refunded in all: record what is new."""
    payment = payment_for(intent_id)
    if payment is None and group_attempts(intent_id):
        # The gateway reports one total for the shared intent, which cannot say which invoice's
        # payment it belongs to: refunds of a group are recorded per payment from the admin.
        current_app.logger.warning("Refund reported for group payment %s: record it per payment", intent_id)
        return "group"
    if payment is None:
        current_app.logger.warning("Refund reported for %s, which has no booked payment", intent_id)
        return "unknown"
    invoice = db.session.get(Invoice, payment.invoice_id)
    total = min(from_minor(refunded_minor, invoice.currency), payment.amount)
    if total <= payment.refunded_amount:
        return ALREADY_BOOKED
    record_refund(payment, invoice, total - payment.refunded_amount)
    return BOOKED


def record_refund(payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    """Take ``amount`` off the payment and the invoice's paid amount (the caller commits)."""
    payment.refunded_amount = money(payment.refunded_amount + amount)
    payment.status = "refunded" if payment.refunded_amount >= payment.amount else "partially_refunded"
    invoice.add_paid(-amount)
