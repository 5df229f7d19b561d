"""Paying several open invoices at once from the invoice list ("Pay selected"), by card.

Only when card payments are configured and on and the setting allows it (Invoices permission).
The selection is a plain POST form (works without JavaScript); the service loads each invoice
through the contact's customer and takes the amounts from their balances. The card page, the
card form and the return work as for one invoice, on the group's first attempt.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.i18n import _, ngettext
from core.models import Invoice, PaymentAttempt, money
from core.models.payments import GROUP_SEPARATOR
from core.payments import pay_several_allowed
from core.payments.booking import group_attempts
from core.payments.gateway import NEEDS_ACTION
from core.payments.service import client_secret, confirm_card_payment, settle_card_payment
from core.payments.several import start_several_payment
from core.services import ServiceError
from core.throttle import pay_throttled

from ..guards import feature_blueprint
from .payments import card_page, flash_outcome

bp = feature_blueprint("payments_several", __name__, "invoices")


@bp.before_request
def paying_several_allowed():
    """Every route here: 404 unless card payments are on and the setting allows paying several."""
    if not pay_several_allowed():
        abort(404)


def _to_list():
    return redirect(url_for("portal.invoices.index"), code=303)


def _group(attempt_id: int) -> list[PaymentAttempt]:
    """The group whose first attempt is ``attempt_id``, if its invoices are the contact's customer's."""
    stmt = (
        select(PaymentAttempt)
        .join(Invoice, Invoice.id == PaymentAttempt.invoice_id)
        .where(PaymentAttempt.id == attempt_id, Invoice.customer_id == current_user.customer_id)
        .where(PaymentAttempt.intent_id.contains(GROUP_SEPARATOR))
    )
    lead = db.session.scalar(stmt) or abort(404)
    group = group_attempts(lead.gateway_intent_id, lock=False)
    if group[0].id != lead.id:
        abort(404)
    return group


def _posted_group(attempt_id: int) -> list[PaymentAttempt]:
    if request.form.get("attempt") != str(attempt_id):
        abort(400)
    return _group(attempt_id)


def _answer(attempt_id: int, outcome: str):
    if outcome == NEEDS_ACTION:
        return redirect(url_for("portal.payments_several.card", attempt_id=attempt_id, authenticate=1), code=303)
    flash_outcome(outcome)
    return _to_list()


@bp.route("/invoices/pay-selected", methods=["POST"])
@pay_throttled
def start():
    try:
        attempt = start_several_payment(current_user, request.form.getlist("invoice"))
    except ServiceError as exc:
        flash(str(exc), "danger")
        return _to_list()
    if not attempt.in_group:
        return redirect(url_for("portal.payments.card", invoice_id=attempt.invoice_id), code=303)
    return redirect(url_for("portal.payments_several.card", attempt_id=attempt.id), code=303)


@bp.route("/invoices/pay-selected/<int:attempt_id>")
@pay_throttled
def card(attempt_id: int):
    group = _group(attempt_id)
    if any(attempt.status != "pending" for attempt in group):
        return _to_list()
    secret = ""  # noqa: S105  # nosec B105  (no 3-D Secure step yet)
    if request.args.get("authenticate"):
        try:
            secret = client_secret(group[0])
        except ServiceError as exc:
            flash(str(exc), "danger")
            return _to_list()
    return card_page(
        group[0],
        secret,
        group=group,
        heading=ngettext("Pay %(num)d invoice", "Pay %(num)d invoices", len(group)),
        amount=money(sum(attempt.amount for attempt in group)),
        back=(url_for("portal.invoices.index"), _("Invoices")),
        confirm_url=url_for("portal.payments_several.confirm", attempt_id=attempt_id),
        return_url=url_for("portal.payments_several.finish", attempt_id=attempt_id),
    )


@bp.route("/invoices/pay-selected/<int:attempt_id>/confirm", methods=["POST"])
@pay_throttled
def confirm(attempt_id: int):
    group = _posted_group(attempt_id)
    try:
        outcome = confirm_card_payment(group[0], request.form.get("payment_method", ""))
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("portal.payments_several.card", attempt_id=attempt_id), code=303)
    return _answer(attempt_id, outcome)


@bp.route("/invoices/pay-selected/<int:attempt_id>/return", methods=["POST"])
@pay_throttled
def finish(attempt_id: int):
    group = _posted_group(attempt_id)
    try:
        outcome = settle_card_payment(group[0])
    except ServiceError as exc:
        flash(str(exc), "danger")
        return _to_list()
    return _answer(attempt_id, outcome)
