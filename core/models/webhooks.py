"""Webhooks: the endpoints administrators register, and the delivery outbox.

A ``WebhookDelivery`` is written in the transaction of the change it reports (``core.webhooks.emit``),
like an outbox email, and delivered after the commit by a dispatcher that claims rows the same
way (``core.webhooks.dispatch``). Its ``message_id`` is fixed when it is queued, so every retry
and every redelivery carries the same ``webhook-id`` and receivers can deduplicate.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db

from .base import TimestampMixin, utcnow

WEBHOOK_STATUSES = ("pending", "sending", "delivered", "failed")


class WebhookEndpoint(TimestampMixin, db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The subscribed event types (keys of ``core.webhooks.events.WEBHOOK_EVENTS``), space-separated.
    events: Mapped[str] = mapped_column(Text, default="")
    # Standard Webhooks format: ``whsec_`` and the base64 of 32 random bytes.
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def event_keys(self) -> frozenset[str]:
        """The subscribed event types."""
        return frozenset(self.events.split())


class WebhookDelivery(TimestampMixin, db.Model):
    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    # ``msg_`` and 32 hex digits: the ``webhook-id`` header of every attempt.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    # The exact JSON body sent (and signed) on every attempt.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))

    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),)


__all__ = ["WEBHOOK_STATUSES", "WebhookDelivery", "WebhookEndpoint"]
