"""Signed webhooks: the event catalog, queueing deliveries with the change, and the dispatcher.

- ``events``: every event type, its label and its payload (``WEBHOOK_EVENTS``);
- ``emit``: ``emit(event_type, obj)`` queues one delivery per subscribed active endpoint in the
  caller's transaction (the services call it before they commit);
- ``targets``: the SSRF rule (public addresses only), checked on saving and at each delivery;
- ``sending``: the signed HTTP request (Standard Webhooks headers);
- ``dispatch``: claiming due deliveries, sending them, retries with backoff.
"""

from .emit import emit, emit_payment
from .events import WEBHOOK_EVENT_KEYS, WEBHOOK_EVENTS

__all__ = ["WEBHOOK_EVENTS", "WEBHOOK_EVENT_KEYS", "emit", "emit_payment"]
