"""``POST /webhooks/stripe``: Stripe's events about our PaymentIntents and refunds.

The only route exempt from CSRF (Stripe cannot hold our token): its authenticity is the
signature instead, verified with the ``stripe`` library against ``STRIPE_WEBHOOK_SECRET``, which
also refuses an old timestamp (a replay). A forged or replayed post gets 400 and changes
nothing; an event processed before gets 200 and changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from core.extensions import csrf

from . import gateway as configured_gateway
from .gateway import InvalidWebhook
from .service import handle_webhook

bp = Blueprint("webhooks", __name__)

MAX_EVENT_BYTES = 512 * 1024


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def stripe_event():
    gateway = configured_gateway()
    if gateway is None:
        abort(404)
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        abort(413)
    try:
        event = gateway.parse_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature", ""))
    except InvalidWebhook as exc:
        current_app.logger.warning("Stripe webhook refused: %s", exc)
        abort(400)
    outcome = handle_webhook(event, gateway.name)
    current_app.logger.info("Stripe webhook %s (%s): %s", event.id, event.type, outcome)
    return jsonify(received=True, outcome=outcome)
