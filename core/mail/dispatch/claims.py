"""Claiming due outbox rows for one dispatcher, and reading the claimed rows' messages.

Claiming marks rows ``sending`` under a fresh claim token in one short transaction; on
PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent
dispatchers never take the same row (SQLite serialises writers, which gives the same guarantee
for one database file). A row left ``sending`` by a crashed dispatcher is claimable again after
the lease (``MAIL_LEASE_SECONDS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update

from core.extensions import db
from core.models import EmailAttachment, OutboxEmail, utcnow

from ..message import message_bytes, sender_address


def lease_seconds() -> float:
    """How long a claimed row stays ours without a renewal (``MAIL_LEASE_SECONDS``)."""
    return float(current_app.config["MAIL_LEASE_SECONDS"])


def due(now: datetime):
    """SQL: the row is due now: pending and past its retry time, or ``sending`` past the lease."""
    lease_start = now - timedelta(seconds=lease_seconds())
    return or_(
        (OutboxEmail.status == "pending") & (OutboxEmail.next_attempt_at <= now),
        (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < lease_start),
    )


def due_count() -> int:
    """How many outbox rows are due now."""
    return db.session.scalar(select(func.count()).select_from(OutboxEmail).where(due(utcnow()))) or 0


def _claim_ids(limit: int, now: datetime, only: list[str] | None) -> list[int]:
    """Ids of up to ``limit`` due rows, locked (``FOR UPDATE SKIP LOCKED``) on PostgreSQL.

    Two index range scans on ``(status, next_attempt_at)`` instead of one ``OR`` query ordered
    by id: the outbox keeps every sent email, and walking it by primary key would read all of
    them on every batch. Rows left ``sending`` by a crashed dispatcher (past the lease) first,
    then pending rows in the order they became due. ``only`` limits the claim to these
    Message-IDs (the flush after a request: that request's emails).
    """
    if only is not None:
        mine = (
            select(OutboxEmail.id)
            .where(OutboxEmail.message_id.in_(only), due(now))
            .order_by(OutboxEmail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(db.session.scalars(mine))
    expired = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == "sending", OutboxEmail.claimed_at < now - timedelta(seconds=lease_seconds()))
        .order_by(OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(expired))
    if len(ids) < limit:
        pending = (
            select(OutboxEmail.id)
            .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
            .order_by(OutboxEmail.next_attempt_at)  # the index order: no sort, however many are due
            .limit(limit - len(ids))
            .with_for_update(skip_locked=True)
        )
        ids += db.session.scalars(pending)
    return ids


def claim(limit: int, now: datetime, only: list[str] | None = None) -> tuple[str, list[int]]:
    """Mark up to ``limit`` due rows ``sending`` under a fresh claim token and commit."""
    ids = _claim_ids(limit, now, only)
    if not ids:
        db.session.commit()
        return "", []
    # Re-checking ``due`` in the UPDATE makes the claim atomic even where SKIP LOCKED is
    # not available (SQLite): a row another dispatcher took meanwhile is simply not ours.
    token = uuid.uuid4().hex
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(ids), due(now))
        .values(status="sending", claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token, ids


def claim_batch(limit: int, now: datetime | None = None) -> list[OutboxEmail]:
    """Mark up to ``limit`` due rows ``sending`` for this dispatcher, commit, and return them."""
    token, ids = claim(limit, now or utcnow())
    if not ids:
        return []
    # By primary key (the claim token has no index); the token says which of them are ours.
    mine = select(OutboxEmail).where(OutboxEmail.id.in_(ids), OutboxEmail.claim_token == token)
    return list(db.session.scalars(mine.order_by(OutboxEmail.id)))


@dataclass
class Claimed:
    """What the dispatcher needs of one claimed row, read once (no ORM access while sending)."""

    id: int
    attempts: int
    recipients: list[str]
    sender: str
    data: bytes


@dataclass
class _Outgoing:
    """The columns of an outbox row that make its message (what ``message_bytes`` reads)."""

    subject: str
    to_name: str
    to_address: str
    cc: str
    message_id: str
    unsubscribe_url: str
    text_body: str
    html_body: str
    attachments: list = field(default_factory=list)

    cc_list = OutboxEmail.cc_list


_OUTGOING_COLUMNS = [getattr(OutboxEmail, name) for name in _Outgoing.__dataclass_fields__ if name != "attachments"]


def load_claimed(token: str, ids: list[int]) -> list[Claimed]:
    """Build the claimed rows' messages: two plain SELECTs (rows, then attachments), no ORM
    objects, so nothing is reloaded by the commits while sending."""
    mine = (OutboxEmail.id.in_(ids), OutboxEmail.claim_token == token)
    rows = db.session.execute(
        select(OutboxEmail.id, OutboxEmail.attempts, *_OUTGOING_COLUMNS).where(*mine).order_by(OutboxEmail.id)
    ).all()
    outgoing = {row[0]: (row[1], _Outgoing(*row[2:])) for row in rows}
    attachments = select(EmailAttachment).where(EmailAttachment.email_id.in_(list(outgoing)))
    for attachment in db.session.scalars(attachments.order_by(EmailAttachment.id)):
        outgoing[attachment.email_id][1].attachments.append(attachment)
    sender = sender_address()
    return [
        Claimed(row_id, attempts, [email.to_address, *email.cc_list], *message_bytes(email, sender))
        for row_id, (attempts, email) in outgoing.items()
    ]
