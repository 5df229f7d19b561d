"""Card payments: a gateway interface (``gateway.py``), Stripe behind it (``stripe_gateway.py``),
booking each payment exactly once (``booking.py``) and the actions of contacts and staff
(``service.py``).

Card payments are optional: without ``STRIPE_SECRET_KEY`` there is no gateway, no Pay button and
no Stripe script anywhere; administrators may also switch them off (and allow paying part of
the balance) on the settings page.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.models import Setting

from .gateway import Gateway

CARD_PAYMENTS_ENABLED = "card_payments_enabled"
PARTIAL_PAYMENTS_ALLOWED = "partial_payments_allowed"
PAY_SEVERAL_INVOICES = "pay_several_invoices"


def stripe_configured() -> bool:
    """True when the secret and publishable keys are set (the webhook secret is checked where used)."""
    config = current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_PUBLISHABLE_KEY"))


def gateway() -> Gateway | None:
    """The configured gateway, or None when card payments are not set up."""
    if not stripe_configured():
        return None
    from .stripe_gateway import StripeGateway

    config = current_app.config
    return StripeGateway(
        config["STRIPE_SECRET_KEY"], config.get("STRIPE_WEBHOOK_SECRET", ""), config["STRIPE_API_BASE"]
    )


def card_payment_options() -> tuple[bool, bool]:
    """(card payments on, partial payments allowed): both False without a gateway, else the two
    settings (on and not allowed by default), read in one query and only when a gateway exists."""
    if not stripe_configured():
        return False, False
    rows = _settings(CARD_PAYMENTS_ENABLED, PARTIAL_PAYMENTS_ALLOWED)
    return rows.get(CARD_PAYMENTS_ENABLED, "1") == "1", rows.get(PARTIAL_PAYMENTS_ALLOWED, "0") == "1"


def pay_several_allowed() -> bool:
    """True when contacts may pay several open invoices with one card payment: a gateway exists,
    card payments are on and the (off by default) setting allows it; no query without a gateway."""
    if not stripe_configured():
        return False
    rows = _settings(CARD_PAYMENTS_ENABLED, PAY_SEVERAL_INVOICES)
    return rows.get(CARD_PAYMENTS_ENABLED, "1") == "1" and rows.get(PAY_SEVERAL_INVOICES, "0") == "1"


def _settings(*keys: str) -> dict[str, str]:
    return dict(db.session.execute(select(Setting.key, Setting.value).where(Setting.key.in_(keys))).all())
