"""Shared steps of the card-payment tests: a contact with an open invoice, Pay, the browser's
part done with the real stripe library against localstripe, and Stripe's signed webhook."""

from __future__ import annotations

import time
import uuid

import stripe
from sqlalchemy import select

from core.extensions import db
from core.models import PaymentAttempt
from tests.conftest import login
from tests.payments_server import SECRET_KEY, signed_webhook


def stripe_client(localstripe) -> stripe.StripeClient:
    """What the browser's Stripe.js does, done with the stripe library against localstripe."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe.api_base})


def payer(f, client, **contact):
    """A logged-in contact (Invoices permission) and an open invoice of 119.00 EUR."""
    customer = f.make_customer("Acme")
    contact.setdefault("first_name", "Paula")
    me = f.make_contact(customer, **contact)
    invoice = f.make_invoice(customer)
    assert login(client, me).status_code == 302
    return me, invoice


def press_pay(client, invoice, **form):
    return client.post(f"/invoices/{invoice.id}/pay", data={"form_key": uuid.uuid4().hex, **form})


def attempts(invoice) -> list[PaymentAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice.id)))


def pay_in_browser(localstripe, attempt, payment_method: str = "pm_card_visa"):
    """The card confirmed at the gateway the way the browser would (card attached, confirmed)."""
    client = stripe_client(localstripe)
    client.v1.payment_intents.update(attempt.intent_id, params={"payment_method": payment_method})
    return client.v1.payment_intents.confirm(attempt.intent_id)


def post_card_form(client, invoice, attempt, payment_method: str = "pm_card_visa"):
    data = {"form_key": uuid.uuid4().hex, "attempt": attempt.id, "payment_method": payment_method}
    return client.post(f"/invoices/{invoice.id}/pay/confirm", data=data)


def post_return(client, invoice, attempt):
    data = {"form_key": uuid.uuid4().hex, "attempt": attempt.id}
    return client.post(f"/invoices/{invoice.id}/pay/return", data=data)


def intent_event(localstripe, intent_id: str, event_type: str = "payment_intent.succeeded", **changes) -> dict:
    """Stripe's event for the intent as the gateway holds it now (``changes`` edit the object)."""
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(intent_id).to_dict()
    intent.update(changes)
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": intent},
    }


def post_webhook(client, event: dict, **signing):
    body, signature = signed_webhook(event, **signing)
    return client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature, "Content-Type": "application/json"}
    )
