"""Card payments in flight and the gateway's events (``core/payments/``).

A ``PaymentAttempt`` is one PaymentIntent we created for an invoice: pending until the gateway
says it succeeded (then a ``Payment`` is booked) or failed. An attempt that cannot be booked (an
unknown intent, an amount or currency that does not match, an invoice no longer open) is flagged
for staff review instead. ``GatewayEvent`` keeps the id of every webhook event processed, so an
event delivered again changes nothing.

Several invoices paid with one PaymentIntent (``core/payments/several.py``) are a group: one
attempt per invoice, each for that invoice's balance, whose ``intent_id`` is
``<intent id>#<invoice id>``; the booked payments carry the same reference, so it stays unique.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db

from .base import Money, TimestampMixin, utcnow

ATTEMPT_STATUSES = ("pending", "succeeded", "failed", "canceled")


class PaymentAttempt(TimestampMixin, db.Model):
    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for an intent the gateway reported that no invoice of ours asked for (flagged).
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    gateway: Mapped[str] = mapped_column(String(20))
    intent_id: Mapped[str] = mapped_column(String(80), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    review_reason: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    invoice = relationship("Invoice")
    contact = relationship("Contact")

    @property
    def gateway_intent_id(self) -> str:
        """The intent's id at the gateway (the part before ``#`` for an attempt of a group)."""
        return intent_of(self.intent_id)

    @property
    def in_group(self) -> bool:
        """True for an attempt that pays one invoice of several with a shared intent."""
        return GROUP_SEPARATOR in self.intent_id


GROUP_SEPARATOR = "#"


def intent_of(reference: str) -> str:
    """The gateway's intent id of an attempt's ``intent_id`` or a payment's gateway reference."""
    return reference.partition(GROUP_SEPARATOR)[0]


class GatewayEvent(TimestampMixin, db.Model):
    __tablename__ = "gateway_events"
    __table_args__ = (UniqueConstraint("gateway", "event_id", name="uq_gateway_events_gateway_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gateway: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(40), default="")
