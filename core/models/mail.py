"""The email outbox: one row per recipient, written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db

from .base import TimestampMixin, utcnow

EMAIL_STATUSES = ("pending", "sending", "sent", "failed", "logged")


class OutboxEmail(TimestampMixin, db.Model):
    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    notification: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    cc: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="")
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="")
    # Generated once when queued, so a retried message keeps its identity.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")

    attachments: Mapped[list[EmailAttachment]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    contact = relationship("Contact")
    customer = relationship("Customer")

    __table_args__ = (Index("ix_email_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    @property
    def cc_list(self) -> list[str]:
        return [address for address in self.cc.split(",") if address]


class EmailAttachment(db.Model):
    __tablename__ = "email_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("email_outbox.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PasswordResetRequest(TimestampMixin, db.Model):
    """ "Someone asked for a password reset for this address": queued by the request as it is.

    The request writes this one row whatever the address, so it answers in the same time for
    a known and an unknown address; the dispatcher later resolves the address and queues the
    reset email only for an active contact (``core.services.passwords``), then deletes the row.
    """

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))


class SignInLinkRequest(TimestampMixin, db.Model):
    """ "Someone asked for a sign-in link for this address", queued as it is, like a reset.

    Resolved after the response (``core.services.sign_in_links``): only an address of a
    contact who may log in gets a link, so the request answers the same for every address.
    """

    __tablename__ = "sign_in_link_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose login the link is for: "portal" (a contact) or "admin" (a staff member).
    area: Mapped[str] = mapped_column(String(10), default="portal", server_default="portal")
    email: Mapped[str] = mapped_column(String(254))
    next_path: Mapped[str] = mapped_column(String(500))  # already checked by ``safe_next``
    ip: Mapped[str] = mapped_column(String(64))  # the requester's, for the audit entry


__all__ = ["EMAIL_STATUSES", "EmailAttachment", "OutboxEmail", "PasswordResetRequest", "SignInLinkRequest", "utcnow"]
