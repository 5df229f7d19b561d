"""What the portal needs from a card-payment gateway: a small interface, so a second provider
(e.g. Mollie) is one more module next to ``stripe_gateway.py``.

Amounts cross this boundary in minor units (cents) as integers, computed on the server from the
invoice's balance; currencies as upper-case ISO codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from babel.numbers import get_currency_precision

# Intent statuses, gateway-neutral (each gateway maps its own onto these).
PAYABLE = "requires_payment"  # waiting for a card (or a confirmation)
NEEDS_ACTION = "requires_action"  # the bank asks the customer to authenticate (3-D Secure)
PROCESSING = "processing"
SUCCEEDED = "succeeded"
CANCELED = "canceled"


class GatewayError(Exception):
    """The gateway refused or could not be reached; ``str()`` is the gateway's message for the
    customer (a declined card), or empty when there is nothing the customer can act on."""


class InvalidWebhook(Exception):
    """A webhook whose signature does not verify (forged, replayed, or not from the gateway)."""


@dataclass(frozen=True)
class Intent:
    """One payment at the gateway (a Stripe PaymentIntent)."""

    id: str
    status: str
    amount_minor: int
    currency: str
    client_secret: str = ""
    metadata: dict = field(default_factory=dict)
    failed: bool = False  # the last try was declined (the intent can be paid again)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: ``kind`` is "succeeded", "failed", "refunded" or "other"."""

    id: str
    type: str
    kind: str
    intent: Intent | None = None
    intent_id: str = ""
    refunded_minor: int = 0


class Gateway(Protocol):
    name: str

    def create_intent(self, *, amount_minor: int, currency: str, metadata: dict, idempotency_key: str) -> Intent:
        """A new intent for exactly this amount."""

    def retrieve(self, intent_id: str) -> Intent:
        """The intent as the gateway sees it now."""

    def confirm(self, intent_id: str, payment_method: str, idempotency_key: str) -> Intent:
        """Charge the intent with the card the browser tokenised (``payment_method``)."""

    def refund(self, intent_id: str, amount_minor: int, idempotency_key: str) -> int:
        """Refund part or all of a succeeded intent; returns the amount refunded (minor units)."""

    def parse_webhook(self, payload: bytes, signature: str) -> WebhookEvent:
        """The event, if its signature verifies with the webhook secret; else ``InvalidWebhook``."""


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's minor unit (cents for EUR, yen for JPY)."""
    return int((Decimal(amount) * 10 ** get_currency_precision(currency.upper())).to_integral_value())


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """The inverse of ``to_minor``, rounded to cents as invoices are."""
    precision = get_currency_precision(currency.upper())
    return (Decimal(amount_minor) / 10**precision).quantize(Decimal("0.01"))
