"""Queueing webhook deliveries in the transaction of the change they report.

Services call ``emit`` before they commit, exactly where the change happens and only when
something really changed; nothing here commits or talks to the network. A rolled-back change
therefore sends nothing, and a committed one is delivered by the dispatcher
(``core.webhooks.dispatch``) to every endpoint that was active and subscribed when it happened.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from core.extensions import db
from core.models import Invoice, Payment, WebhookDelivery, WebhookEndpoint, utcnow

from .events import WEBHOOK_EVENTS, iso


def new_message_id() -> str:
    """A fresh ``webhook-id``: ``msg_`` and 32 hex digits."""
    return f"msg_{uuid.uuid4().hex}"


def subscribed_endpoints(event_type: str) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to ``event_type`` (read without flushing the session)."""
    with db.session.no_autoflush:
        endpoints = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active)).all()
    return [endpoint for endpoint in endpoints if event_type in endpoint.event_keys]


def payload(event_type: str, obj, **context) -> str:
    """The JSON body of ``event_type`` about ``obj``: ``{"type", "timestamp", "data"}``."""
    event = WEBHOOK_EVENTS[event_type]
    body = {"type": event_type, "timestamp": iso(utcnow()), "data": event.data(obj, **context)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def emit(event_type: str, obj, **context) -> list[WebhookDelivery]:
    """Add one delivery of ``event_type`` about ``obj`` per subscribed active endpoint to the
    session (the caller commits, with the change); the deliveries, none when nobody subscribed.

    ``obj`` must be of the event's model; ``context`` goes to the event's payload builder (a
    ticket's reply, a project's previous status...). An object not yet flushed is flushed first
    so the payload carries its id.
    """
    event = WEBHOOK_EVENTS[event_type]
    if not isinstance(obj, event.model):
        raise TypeError(f"{event_type} is about a {event.model.__name__}, not a {type(obj).__name__}")
    endpoints = subscribed_endpoints(event_type)
    if not endpoints:
        return []
    if getattr(obj, "id", None) is None:
        db.session.flush()
    body = payload(event_type, obj, **context)
    deliveries = [
        WebhookDelivery(endpoint_id=endpoint.id, event=event_type, message_id=new_message_id(), payload=body)
        for endpoint in endpoints
    ]
    db.session.add_all(deliveries)
    return deliveries


def emit_payment(invoice: Invoice, payment: Payment) -> None:
    """A payment booked on ``invoice`` (recorded by staff or by card): ``payment.received``, and
    ``invoice.paid`` when it made the invoice fully paid. Payments are only booked on open
    invoices, so a paid invoice after a payment is always a change to paid."""
    emit("payment.received", payment, invoice=invoice)
    if invoice.status == "paid":
        emit("invoice.paid", invoice)
