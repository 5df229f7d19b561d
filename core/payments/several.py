"""Paying several open invoices of one customer with one card payment ("Pay selected").

One PaymentIntent for the sum of the selected invoices' balances, recorded as a group: one
``PaymentAttempt`` per invoice (``<intent id>#<invoice id>``, its balance), so booking
(``booking.book_group``) books one payment per invoice, once, from the webhook or the return
page alike. The balances come from the database, never from the browser.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core import audit
from core.extensions import db
from core.i18n import _, ngettext
from core.models import Contact, Invoice, PaymentAttempt, money
from core.models.payments import GROUP_SEPARATOR
from core.services import ServiceError

from .booking import group_attempts
from .gateway import NEEDS_ACTION, PAYABLE, GatewayError, to_minor
from .service import refusal, required_gateway, start_card_payment

MAX_SELECTED = 50  # the intent's metadata names every invoice (Stripe: 500 characters a value)


def selected_ids(values: list[str]) -> list[int]:
    """The posted invoice ids, as distinct integers in their order; bad input is refused."""
    ids = []
    for value in values:
        if not value.isdigit():
            raise ServiceError(_("Select the invoices to pay."))
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise ServiceError(_("Select the invoices to pay."))
    if len(ids) > MAX_SELECTED:
        too_many = ngettext(
            "Select at most %(num)d invoice at once.", "Select at most %(num)d invoices at once.", MAX_SELECTED
        )
        raise ServiceError(too_many)
    return ids


def payable_selection(contact: Contact, ids: list[int]) -> list[Invoice]:
    """The contact's customer's invoices ``ids``, each open with a balance, all in one currency;
    anything else (another customer's or a draft invoice, which count as not found) is refused."""
    stmt = (
        select(Invoice)
        .where(Invoice.customer_id == contact.customer_id, Invoice.visible_to_customer, Invoice.id.in_(ids))
        .order_by(Invoice.id)
    )
    invoices = list(db.session.scalars(stmt))
    if len(invoices) != len(ids):
        raise ServiceError(_("One of the selected invoices was not found. Nothing was charged."))
    for invoice in invoices:
        if not invoice.is_open or invoice.balance <= 0:
            raise ServiceError(_("Invoice %(number)s cannot be paid: it is not open.", number=invoice.number))
    if len({invoice.currency for invoice in invoices}) > 1:
        raise ServiceError(_("Invoices in different currencies cannot be paid together."))
    return invoices


def start_several_payment(contact: Contact, values: list[str]) -> PaymentAttempt:
    """The pending payment of the selected invoices by card, and commit; returns its first attempt.

    One invoice selected is that invoice's own Pay. For several, a pending group for exactly the
    same invoices and balances that the gateway can still take a card for is reused (a second
    "Pay selected" creates no second intent); other pending groups holding any of them are
    cancelled. Nothing is created when the selection is refused.
    """
    invoices = payable_selection(contact, selected_ids(values))
    if len(invoices) == 1:
        return start_card_payment(invoices[0], contact, None, False)
    gateway = required_gateway()
    wanted = {(invoice.id, invoice.balance) for invoice in invoices}
    currency = invoices[0].currency
    try:
        for group in _pending_groups(invoices):
            same = {(a.invoice_id, a.amount) for a in group} == wanted and group[0].currency == currency
            if same and gateway.retrieve(group[0].gateway_intent_id).status in (PAYABLE, NEEDS_ACTION):
                return group[0]
            for attempt in group:
                attempt.status = "canceled"  # a different selection now: the new group replaces it
        intent = gateway.create_intent(
            amount_minor=to_minor(money(sum(invoice.balance for invoice in invoices)), currency),
            currency=currency,
            metadata={
                "invoice_ids": ",".join(str(invoice.id) for invoice in invoices),
                "invoice_numbers": ", ".join(invoice.number for invoice in invoices)[:500],
            },
            idempotency_key=f"intent:several:{contact.id}:{uuid.uuid4()}",
        )
    except GatewayError as exc:
        db.session.rollback()
        raise refusal(exc) from exc
    attempts = [
        PaymentAttempt(
            invoice_id=invoice.id,
            contact_id=contact.id,
            gateway=gateway.name,
            intent_id=f"{intent.id}{GROUP_SEPARATOR}{invoice.id}",
            amount=invoice.balance,
            currency=currency,
        )
        for invoice in invoices
    ]
    db.session.add_all(attempts)
    for invoice in invoices:
        audit.record(
            "payment.started",
            actor=contact,
            customer_id=invoice.customer_id,
            target=invoice,
            amount=str(invoice.balance),
        )
    db.session.commit()
    return attempts[0]


def _pending_groups(invoices: list[Invoice]) -> list[list[PaymentAttempt]]:
    """The pending, unflagged groups that hold any of ``invoices`` (each group whole)."""
    stmt = select(PaymentAttempt.intent_id).where(
        PaymentAttempt.invoice_id.in_([invoice.id for invoice in invoices]),
        PaymentAttempt.status == "pending",
        PaymentAttempt.needs_review.is_(False),
        PaymentAttempt.intent_id.contains(GROUP_SEPARATOR),
    )
    intent_ids = sorted({reference.partition(GROUP_SEPARATOR)[0] for reference in db.session.scalars(stmt)})
    # Not locked: like one invoice's Pay, nothing here may wait for a booking (or make it wait).
    return [group for group in (group_attempts(intent_id, lock=False) for intent_id in intent_ids) if group]
