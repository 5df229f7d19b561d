"""Steps of the "Pay selected" tests: the group's intent at localstripe, the browser's part
(the stripe library, as Stripe.js would), the group's card form and return page."""

from __future__ import annotations

import uuid

from tests.http.helpers.card_payments import stripe_client


def group_intent(localstripe, lead):
    return stripe_client(localstripe).v1.payment_intents.retrieve(lead.gateway_intent_id)


def pay_group_in_browser(localstripe, lead, payment_method: str = "pm_card_visa"):
    client = stripe_client(localstripe)
    client.v1.payment_intents.update(lead.gateway_intent_id, params={"payment_method": payment_method})
    return client.v1.payment_intents.confirm(lead.gateway_intent_id)


def post_group_card_form(client, lead, payment_method: str = "pm_card_visa"):
    data = {"form_key": uuid.uuid4().hex, "attempt": lead.id, "payment_method": payment_method}
    return client.post(f"/invoices/pay-selected/{lead.id}/confirm", data=data)


def post_group_return(client, lead):
    data = {"form_key": uuid.uuid4().hex, "attempt": lead.id}
    return client.post(f"/invoices/pay-selected/{lead.id}/return", data=data)
