"""Passkeys (WebAuthn credentials) of contacts and staff, and the challenges of their ceremonies.

A passkey belongs to exactly one contact or one staff member: two nullable foreign keys with a
CHECK that exactly one is set, as ``RecoveryCode`` does. Real foreign keys (rather than an
"owner kind + id" pair) let the database delete a person's passkeys with the person and refuse
a passkey pointing at nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db

from .base import TimestampMixin, utcnow


class Passkey(TimestampMixin, db.Model):
    """One registered credential: its id (base64url, as browsers send it), public key (COSE),
    the authenticator's signature counter, how it can be reached, and its owner's name for it."""

    __tablename__ = "passkeys"
    __table_args__ = (CheckConstraint("(contact_id IS NULL) <> (staff_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    # Credential ids are at most 1023 bytes: 1364 characters in unpadded base64url.
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    name: Mapped[str] = mapped_column(String(80))
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser for one ceremony, until it is used or expires.

    The browser's session names the challenge it waits for; this row makes it single use even
    though sessions are signed cookies (a replayed request carrying the old cookie finds the
    row gone). ``purpose`` is ``register:<contact|staff>:<id>`` or ``login:<portal|admin>``.
    """

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge: Mapped[str] = mapped_column(String(100), unique=True)  # base64url
    purpose: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


__all__ = ["Passkey", "PasskeyChallenge"]
