"""API tokens: created by administrators, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db

from .base import TimestampMixin
from .people import StaffUser


class ApiToken(TimestampMixin, db.Model):
    """A bearer token for ``/api/v1``; it acts as the staff member who created it.

    Only ``secret_hash`` (SHA-256 of the whole token) is stored: the token is 256 bits of
    randomness, so a fast hash is enough (nothing to guess, unlike a password) and lets every
    request find its token by an indexed equality lookup. ``prefix`` (the token's first
    characters) is kept to recognise a token in lists and logs.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Space-separated scope names (``core.api_scopes.SCOPES``).
    scopes: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[StaffUser] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    def state(self, now: datetime) -> str:
        """``revoked``, ``expired`` or ``active``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}>"
