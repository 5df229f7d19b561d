"""Stripe behind the ``Gateway`` interface, with the real ``stripe`` library.

Keys come from the environment (``STRIPE_SECRET_KEY``, ``STRIPE_WEBHOOK_SECRET``) and never
leave the server; ``STRIPE_API_BASE`` points the library at localstripe for local work and
tests. Every request that creates or changes something carries an idempotency key, so the
library's retries (and ours) never charge or refund twice.
"""

from __future__ import annotations

from functools import lru_cache

import stripe

from .gateway import (
    CANCELED,
    NEEDS_ACTION,
    PAYABLE,
    PROCESSING,
    SUCCEEDED,
    GatewayError,
    Intent,
    InvalidWebhook,
    WebhookEvent,
)

_STATUSES = {
    "requires_payment_method": PAYABLE,
    "requires_confirmation": PAYABLE,
    "requires_action": NEEDS_ACTION,
    "processing": PROCESSING,
    "requires_capture": PROCESSING,
    "succeeded": SUCCEEDED,
    "canceled": CANCELED,
}
_EVENT_KINDS = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "charge.refunded": "refunded",
}
TIMEOUT_SECONDS = 20


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base},
        http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        max_network_retries=2,
    )


def _plain(obj) -> dict:
    # The library's objects are not dicts (since v15); their data is.
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _intent(obj) -> Intent:
    obj = _plain(obj)
    error = obj.get("last_payment_error")
    return Intent(
        id=obj["id"],
        status=_STATUSES.get(obj.get("status"), PAYABLE),
        amount_minor=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        client_secret=obj.get("client_secret") or "",
        metadata=dict(obj.get("metadata") or {}),
        failed=bool(error),
    )


def _refused(exc: stripe.StripeError) -> GatewayError:
    # Card errors carry a message meant for the customer; anything else stays in the log.
    if isinstance(exc, stripe.CardError) and exc.user_message:
        return GatewayError(exc.user_message)
    return GatewayError("")


class StripeGateway:
    name = "stripe"

    def __init__(self, secret_key: str, webhook_secret: str, api_base: str):
        self._stripe = _client(secret_key, api_base)
        self._webhook_secret = webhook_secret

    def create_intent(self, *, amount_minor: int, currency: str, metadata: dict, idempotency_key: str) -> Intent:
        params = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "metadata": metadata,
            "payment_method_types": ["card"],
        }
        return self._call("payment_intents", "create", params=params, options={"idempotency_key": idempotency_key})

    def retrieve(self, intent_id: str) -> Intent:
        return self._call("payment_intents", "retrieve", intent_id)

    def confirm(self, intent_id: str, payment_method: str, idempotency_key: str) -> Intent:
        # Attach the card, then confirm: two requests (localstripe cannot take the card in the
        # confirmation itself; Stripe accepts both forms).
        options = {"idempotency_key": f"{idempotency_key}:attach"}
        self._call("payment_intents", "update", intent_id, params={"payment_method": payment_method}, options=options)
        options = {"idempotency_key": f"{idempotency_key}:confirm"}
        return self._call("payment_intents", "confirm", intent_id, options=options)

    def refund(self, intent_id: str, amount_minor: int, idempotency_key: str) -> int:
        params = {"payment_intent": intent_id, "amount": amount_minor}
        try:
            refund = self._stripe.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _refused(exc) from exc
        return int(_plain(refund)["amount"])

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEvent:
        if not self._webhook_secret:
            raise InvalidWebhook("no webhook secret configured")
        try:
            event = stripe.Webhook.construct_event(payload, signature, self._webhook_secret)
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise InvalidWebhook(str(exc)) from exc
        event = _plain(event)
        obj = event["data"]["object"]
        kind = _EVENT_KINDS.get(event["type"], "other")
        if kind in ("succeeded", "failed"):
            return WebhookEvent(event["id"], event["type"], kind, intent=_intent(obj), intent_id=obj["id"])
        if kind == "refunded":
            intent_id = obj.get("payment_intent") or ""
            return WebhookEvent(
                event["id"], event["type"], kind, intent_id=intent_id, refunded_minor=int(obj.get("amount_refunded", 0))
            )
        return WebhookEvent(event["id"], event["type"], "other")

    def _call(self, service: str, method: str, *args, **kwargs) -> Intent:
        try:
            return _intent(getattr(getattr(self._stripe.v1, service), method)(*args, **kwargs))
        except stripe.StripeError as exc:
            raise _refused(exc) from exc
