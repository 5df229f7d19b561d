"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Numeric
from sqlalchemy.orm import Mapped, mapped_column

Money = Numeric(12, 2)


def utcnow() -> datetime:
    """Timezone-naive UTC now: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def money(value) -> Decimal:
    """Round to cents the way invoices do."""
    return Decimal(value or 0).quantize(Decimal("0.01"))
