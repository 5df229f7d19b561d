"""What contacts and staff do with card payments; each function owns its transaction.

Contacts: ``start_card_payment`` (the Pay button: a PaymentIntent for the balance, or a part of
it where allowed; a second Pay reuses the pending one), ``confirm_card_payment`` (the card form),
``settle_card_payment`` (back from the bank's 3-D Secure check). Staff: ``refund_payment``. The
gateway: ``handle_webhook``. Amounts always come from the server's balance, never the browser.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.extensions import db
from core.i18n import _
from core.models import Contact, GatewayEvent, Invoice, Payment, PaymentAttempt, StaffUser, money
from core.models.payments import GROUP_SEPARATOR, intent_of
from core.services import ServiceError
from core.services.documents.common import readable_number

from . import gateway as configured_gateway
from .booking import ALREADY_BOOKED, apply_refund_total, book_intent, record_refund
from .gateway import NEEDS_ACTION, PAYABLE, SUCCEEDED, Gateway, GatewayError, Intent, WebhookEvent, from_minor, to_minor

PAYMENT_METHOD_ID = re.compile(r"(pm|card|src)_[A-Za-z0-9_]{1,100}")


def required_gateway() -> Gateway:
    """The configured gateway; ServiceError (a message for the contact) when there is none."""
    found = configured_gateway()
    if found is None:
        raise ServiceError(_("Card payments are not available."))
    return found


def refusal(exc: GatewayError) -> ServiceError:
    """The contact's message for a refusal by the gateway (logged with its cause)."""
    current_app.logger.warning("Payment gateway refused: %r", exc.__cause__ or exc)
    if str(exc):
        return ServiceError(_("The card payment did not go through: %(reason)s", reason=str(exc)))
    return ServiceError(
        _("The payment service is not answering as expected. Nothing was charged; please try again later.")
    )


def _amount_to_pay(invoice: Invoice, requested: str | None, partial_allowed: bool) -> Decimal:
    if not invoice.is_open or invoice.balance <= 0:
        raise ServiceError(_("This invoice cannot be paid: it is not open."))
    if not partial_allowed or requested in (None, ""):
        return invoice.balance
    try:
        amount = money(Decimal(str(requested).strip().replace(",", ".")))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Enter the amount as a number, e.g. 120.50.")) from exc
    if amount <= 0 or amount > invoice.balance:
        raise ServiceError(
            _(
                "Enter an amount above zero and at most the balance of %(balance)s.",
                balance=readable_number(invoice.balance, grouping=False),
            )
        )
    return amount


def pending_attempt(invoice: Invoice) -> PaymentAttempt | None:
    """The invoice's newest attempt of its own (not of a group) still waiting for a card, if any."""
    stmt = (
        select(PaymentAttempt)
        .where(PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.status == "pending")
        .where(PaymentAttempt.needs_review.is_(False), PaymentAttempt.intent_id.not_like(f"%{GROUP_SEPARATOR}%"))
        .order_by(PaymentAttempt.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def start_card_payment(
    invoice: Invoice, contact: Contact, requested: str | None, partial_allowed: bool
) -> PaymentAttempt:
    """The pending attempt to pay ``invoice`` by card, and commit.

    The amount is the open balance (or, when ``partial_allowed``, the requested part of it); a
    pending attempt for the same amount and currency that the gateway can still take a card
    for is reused, so a second Pay creates no second intent. Draft, cancelled and paid invoices
    are refused.
    """
    amount = _amount_to_pay(invoice, requested, partial_allowed)
    gateway = required_gateway()
    existing = pending_attempt(invoice)
    try:
        same = existing is not None and (existing.amount, existing.currency) == (amount, invoice.currency)
        if same and gateway.retrieve(existing.intent_id).status in (PAYABLE, NEEDS_ACTION):
            return existing
        if existing is not None:
            existing.status = "canceled"  # a different amount now: the new attempt replaces it
        intent = gateway.create_intent(
            amount_minor=to_minor(amount, invoice.currency),
            currency=invoice.currency,
            metadata={"invoice_id": str(invoice.id), "invoice_number": invoice.number},
            idempotency_key=f"intent:{invoice.id}:{uuid.uuid4()}",
        )
    except GatewayError as exc:
        db.session.rollback()
        raise refusal(exc) from exc
    attempt = PaymentAttempt(
        invoice_id=invoice.id,
        contact_id=contact.id,
        gateway=gateway.name,
        intent_id=intent.id,
        amount=amount,
        currency=invoice.currency,
    )
    db.session.add(attempt)
    audit.record("payment.started", actor=contact, customer_id=invoice.customer_id, target=invoice, amount=str(amount))
    db.session.commit()
    return attempt


def client_secret(attempt: PaymentAttempt) -> str:
    """The intent's client secret, for Stripe.js to run the bank's 3-D Secure check."""
    try:
        return required_gateway().retrieve(attempt.gateway_intent_id).client_secret
    except GatewayError as exc:
        raise refusal(exc) from exc


def _settle(intent: Intent, gateway: Gateway) -> str:
    """Book ``intent`` (if it succeeded) in this request's transaction and commit."""
    outcome = book_intent(intent, gateway.name)
    try:
        db.session.commit()
    except IntegrityError:
        # The webhook (or a second tab) booked the same intent a moment earlier.
        db.session.rollback()
        outcome = ALREADY_BOOKED
    return outcome


def confirm_card_payment(attempt: PaymentAttempt, payment_method: str) -> str:
    """Charge the card the browser tokenised for ``attempt``; book it if it went through.

    Returns the booking outcome (``booking.BOOKED``...) or ``NEEDS_ACTION`` when the bank asks
    for 3-D Secure. A declined card raises ServiceError (the attempt stays open for another
    card); an intent that already succeeded (a double click) is only booked, never charged again.
    """
    if not PAYMENT_METHOD_ID.fullmatch(payment_method or ""):
        raise ServiceError(_("The card details did not arrive. Please enter them again."))
    gateway = required_gateway()
    try:
        intent_id = attempt.gateway_intent_id
        intent = gateway.retrieve(intent_id)
        if intent.status == PAYABLE:
            intent = gateway.confirm(intent_id, payment_method, f"confirm:{intent_id}:{payment_method}")
    except GatewayError as exc:
        intent = _current(gateway, attempt)
        if intent is None or intent.status != SUCCEEDED:
            raise refusal(exc) from exc
    if intent.status == NEEDS_ACTION:
        return NEEDS_ACTION
    return _settle(intent, gateway)


def _current(gateway: Gateway, attempt: PaymentAttempt) -> Intent | None:
    # After a refused confirmation: a concurrent click may have charged the intent already.
    try:
        return gateway.retrieve(attempt.gateway_intent_id)
    except GatewayError:
        return None


def settle_card_payment(attempt: PaymentAttempt) -> str:
    """Back from the 3-D Secure check: book the attempt if its intent succeeded (the same booking
    as the webhook's, so whichever comes second finds the payment booked)."""
    gateway = required_gateway()
    try:
        intent = gateway.retrieve(attempt.gateway_intent_id)
    except GatewayError as exc:
        raise refusal(exc) from exc
    return _settle(intent, gateway)


def handle_webhook(event: WebhookEvent, gateway_name: str) -> str:
    """Process a verified gateway event once (its id is stored with its effect) and commit.

    A succeeded intent is booked (or flagged), a failed one marks its attempt failed, a refund
    updates the payment; an event seen before changes nothing ("duplicate").
    """
    row = GatewayEvent(gateway=gateway_name, event_id=event.id[:80], event_type=event.type[:80])
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    if event.kind in ("succeeded", "failed") and event.intent is not None:
        outcome = book_intent(event.intent, gateway_name)
    elif event.kind == "refunded" and event.intent_id:
        outcome = apply_refund_total(event.intent_id, event.refunded_minor)
    else:
        outcome = "ignored"
    row.outcome = outcome
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    return outcome


def refund_payment(payment: Payment, requested: str | None, staff: StaffUser) -> Decimal:
    """Refund ``requested`` (or all that is left) of a card payment through its gateway, record it
    on the payment and the invoice, audit it, and commit; returns the amount refunded."""
    if payment.kind != "card" or not payment.gateway_reference:
        raise ServiceError(_("Only card payments are refunded here; refund other payments by bank."))
    left = money(payment.amount - payment.refunded_amount)
    try:
        amount = left if requested in (None, "") else money(Decimal(str(requested).strip().replace(",", ".")))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Enter the amount as a number, e.g. 120.50.")) from exc
    if amount <= 0 or amount > left:
        raise ServiceError(
            _("Enter an amount above zero and at most %(left)s.", left=readable_number(left, grouping=False))
        )
    invoice = db.session.get(Invoice, payment.invoice_id)
    minor = to_minor(amount, invoice.currency)
    # The same refund asked again (a retry after a lost answer) has the same key: refunded once.
    key = f"refund:{payment.gateway_reference}:{to_minor(payment.refunded_amount, invoice.currency)}:{minor}"
    try:
        # A payment of a group refunds part of the shared intent (at most this payment's amount).
        refunded_minor = required_gateway().refund(intent_of(payment.gateway_reference), minor, key)
    except GatewayError as exc:
        raise refusal(exc) from exc
    amount = from_minor(refunded_minor, invoice.currency)
    record_refund(payment, invoice, amount)
    audit.record("payment.refunded", actor=staff, customer_id=invoice.customer_id, target=invoice, amount=str(amount))
    db.session.commit()
    return amount
