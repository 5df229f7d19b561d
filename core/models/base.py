"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Numeric, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

Money = Numeric(12, 2)


def utcnow() -> datetime:
    """Timezone-naive UTC now: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def money(value) -> Decimal:
    """Round to cents the way invoices do."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


class CommentMixin(TimestampMixin):
    """A comment of a thread (task, discussion, ticket, proposal), posted through
    ``core.services.comments.post_comment``; ``THREAD`` names the column of its thread.

    A contact or a staff member wrote it; the author is kept NULL if later deleted.
    """

    THREAD: ClassVar[str]

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)

    @declared_attr
    def contact(cls):
        return relationship("Contact")

    @declared_attr
    def staff(cls):
        return relationship("StaffUser")

    @property
    def author_name(self) -> str:
        if self.staff is not None:
            return self.staff.name
        if self.contact is not None:
            return self.contact.full_name
        return "Former contact"
