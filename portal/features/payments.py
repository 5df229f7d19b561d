"""Paying an invoice by card (Invoices permission; only when card payments are configured and on).

Pay (POST) starts or reuses the invoice's pending attempt, the card page shows Stripe.js's card
field, the card form (POST) charges the card, and the return (POST, after the bank's 3-D Secure
check) books what succeeded. Every step loads the invoice through the contact's customer, so
another customer's invoice, or a draft, is a 404; the amount always comes from the server.
"""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.i18n import _
from core.models import Invoice, PaymentAttempt
from core.models.payments import GROUP_SEPARATOR
from core.payments import card_payment_options
from core.payments.booking import BOOKED, FAILED, FLAGGED, NOT_YET
from core.payments.gateway import NEEDS_ACTION
from core.payments.service import (
    client_secret,
    confirm_card_payment,
    pending_attempt,
    settle_card_payment,
    start_card_payment,
)
from core.security import csp_header, origin
from core.services import ServiceError
from core.throttle import pay_throttled

from ..guards import feature_blueprint, owned_or_404

bp = feature_blueprint("payments", __name__, "invoices")


@bp.before_request
def card_payments_on():
    """Every pay route: 404 unless card payments are configured and switched on."""
    enabled, _partial = card_payment_options()
    if not enabled:
        abort(404)


def _invoice(invoice_id: int) -> Invoice:
    return owned_or_404(Invoice, invoice_id, condition=Invoice.visible_to_customer)


def _attempt(invoice: Invoice) -> PaymentAttempt:
    """The posted attempt, which must be ``invoice``'s own (not one of a group paying several:
    those go through ``payments_several``); the invoice is already the contact's customer's."""
    attempt_id = request.form.get("attempt", "")
    if not attempt_id.isdigit():
        abort(400)
    stmt = select(PaymentAttempt).where(PaymentAttempt.id == int(attempt_id), PaymentAttempt.invoice_id == invoice.id)
    stmt = stmt.where(PaymentAttempt.intent_id.not_like(f"%{GROUP_SEPARATOR}%"))
    return db.session.scalar(stmt) or abort(404)


def _to_invoice(invoice: Invoice):
    return redirect(url_for("portal.invoices.detail", invoice_id=invoice.id), code=303)


def _answer(invoice: Invoice, outcome: str):
    """Where the contact goes after the card form or the return, with what happened."""
    if outcome == NEEDS_ACTION:
        return redirect(url_for("portal.payments.card", invoice_id=invoice.id, authenticate=1), code=303)
    flash_outcome(outcome)
    return _to_invoice(invoice)


def flash_outcome(outcome: str) -> None:
    """Tell the contact what became of the payment (a booking outcome)."""
    messages = {
        BOOKED: (_("Thank you: your payment was received."), "success"),
        FLAGGED: (_("Your payment was received and is being checked by our team."), "info"),
        FAILED: (_("The payment did not go through. You can try again with another card."), "warning"),
        NOT_YET: (_("Your payment is still being processed; this page shows it once it is confirmed."), "info"),
    }
    message, category = messages.get(outcome, (_("Thank you: your payment was received."), "success"))
    flash(message, category)


@bp.route("/invoices/<int:invoice_id>/pay", methods=["POST"])
@pay_throttled
def start(invoice_id: int):
    invoice = _invoice(invoice_id)
    _enabled, partial = card_payment_options()
    try:
        start_card_payment(invoice, current_user, request.form.get("amount"), partial)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return _to_invoice(invoice)
    return redirect(url_for("portal.payments.card", invoice_id=invoice.id), code=303)


@bp.route("/invoices/<int:invoice_id>/pay/card")
@pay_throttled
def card(invoice_id: int):
    invoice = _invoice(invoice_id)
    attempt = pending_attempt(invoice)
    if attempt is None or not invoice.is_open:
        return _to_invoice(invoice)
    secret = ""  # noqa: S105  # nosec B105  (no 3-D Secure step yet)
    if request.args.get("authenticate"):
        try:
            secret = client_secret(attempt)
        except ServiceError as exc:
            flash(str(exc), "danger")
            return _to_invoice(invoice)
    return card_page(
        attempt,
        secret,
        heading=_("Pay invoice %(number)s", number=invoice.number),
        amount=attempt.amount,
        back=(url_for("portal.invoices.detail", invoice_id=invoice.id), _("Invoice %(number)s", number=invoice.number)),
        confirm_url=url_for("portal.payments.confirm", invoice_id=invoice.id),
        return_url=url_for("portal.payments.finish", invoice_id=invoice.id),
    )


def card_page(attempt: PaymentAttempt, secret: str, *, back: tuple[str, str], group=(), **page):
    """The card page for ``attempt`` (Stripe.js's card field, or its 3-D Secure check when
    ``secret`` is set), with Stripe's origins allowed by its CSP on this page only."""
    config = current_app.config
    html = render_template(
        "portal/invoices/pay.html",
        attempt=attempt,
        group=group,
        client_secret=secret,
        back_url=back[0],
        back_text=back[1],
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        stripe_js_url=config["STRIPE_JS_URL"],
        **page,
    )
    response = make_response(html)
    js, api = origin(config["STRIPE_JS_URL"]), origin(config["STRIPE_API_BASE"])
    response.headers["Content-Security-Policy"] = csp_header(
        script_src=(js,), frame_src=(js, "https://hooks.stripe.com"), connect_src=(js, api)
    )
    return response


@bp.route("/invoices/<int:invoice_id>/pay/confirm", methods=["POST"])
@pay_throttled
def confirm(invoice_id: int):
    invoice = _invoice(invoice_id)
    attempt = _attempt(invoice)
    try:
        outcome = confirm_card_payment(attempt, request.form.get("payment_method", ""))
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.payments.card", invoice_id=invoice.id), code=303)
    return _answer(invoice, outcome)


@bp.route("/invoices/<int:invoice_id>/pay/return", methods=["POST"])
@pay_throttled
def finish(invoice_id: int):
    invoice = _invoice(invoice_id)
    attempt = _attempt(invoice)
    try:
        outcome = settle_card_payment(attempt)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return _to_invoice(invoice)
    return _answer(invoice, outcome)
