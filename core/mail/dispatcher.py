"""Delivering the outbox over SMTP: claim rows, send over one connection, record the outcome.

- Claiming marks rows ``sending`` in one short transaction; on PostgreSQL the candidate rows
  are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers never take the same
  row. SQLite serialises writers, which gives the same guarantee for a single database file.
  A row left ``sending`` by a crashed dispatcher is claimable again after a lease.
- Transient failures (connection refused or dropped, 4xx replies) put the row back with an
  exponential backoff; a permanent 5xx reply fails that row only and the batch goes on.
- With no ``MAIL_SERVER`` (the embedded default) rows are marked ``logged``: stored and
  readable in the admin email log, never sent.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from core.extensions import db
from core.models import EmailAttachment, OutboxEmail, utcnow

from .message import message_bytes, sender_address

LEASE = timedelta(minutes=10)
TRANSIENT_NETWORK_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout)


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    logged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retried + self.logged


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def _due(now: datetime):
    return or_(
        (OutboxEmail.status == "pending") & (OutboxEmail.next_attempt_at <= now),
        (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < now - LEASE),
    )


def _claim_ids(limit: int, now: datetime) -> list[int]:
    """Ids of up to ``limit`` due rows, locked (``FOR UPDATE SKIP LOCKED``) on PostgreSQL.

    Two index range scans on ``(status, next_attempt_at)`` instead of one ``OR`` query ordered
    by id: the outbox keeps every sent email, and walking it by primary key would read all of
    them on every batch. Rows left ``sending`` by a crashed dispatcher (past the lease) first,
    then pending rows in the order they became due.
    """
    expired = (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == "sending", OutboxEmail.claimed_at < now - LEASE)
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


def _claim(limit: int, now: datetime) -> tuple[str, list[int]]:
    """Mark up to ``limit`` due rows ``sending`` under a fresh claim token and commit."""
    ids = _claim_ids(limit, now)
    if not ids:
        db.session.commit()
        return "", []
    # Re-checking ``due`` in the UPDATE makes the claim atomic even where SKIP LOCKED is
    # not available (SQLite): a row another dispatcher took meanwhile is simply not ours.
    token = uuid.uuid4().hex
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(ids), _due(now))
        .values(status="sending", claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return token, ids


def claim_batch(limit: int, now: datetime | None = None) -> list[OutboxEmail]:
    """Mark up to ``limit`` due rows ``sending`` for this dispatcher, commit, and return them."""
    token, ids = _claim(limit, now or utcnow())
    if not ids:
        return []
    # By primary key (the claim token has no index); the token says which of them are ours.
    mine = select(OutboxEmail).where(OutboxEmail.id.in_(ids), OutboxEmail.claim_token == token)
    return list(db.session.scalars(mine.order_by(OutboxEmail.id)))


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    host = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
    if cfg.get("MAIL_USE_TLS"):
        host.starttls()
    if cfg.get("MAIL_USERNAME"):
        host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    return host


@dataclass
class _Claimed:
    """What the dispatcher needs of one claimed row, read once (no ORM access while sending)."""

    id: int
    attempts: int
    recipients: list[str]
    sender: str
    data: bytes


class _Outcomes:
    """Records the outcome of claimed rows with plain UPDATEs guarded by the claim token.

    Each UPDATE only touches a row this dispatcher still holds (``claim_token``): a row whose
    lease expired and that another dispatcher reclaimed meanwhile is never overwritten.
    Successful sends are marked in groups of up to ``MAIL_COMMIT_EVERY`` rows, one UPDATE and
    one commit per group (and always before the batch ends); failures and retries are written
    and committed at once.
    """

    def __init__(self, token: str, now: datetime, result: DispatchResult):
        self.token, self.now, self.result = token, now, result
        self.every = max(int(current_app.config.get("MAIL_COMMIT_EVERY", 1)), 1)
        self.sent: list[int] = []

    def _update(self, ids: list[int], **values) -> None:
        # A Core UPDATE on the session's connection (same transaction): no ORM bookkeeping.
        table = OutboxEmail.__table__
        db.session.connection().execute(
            update(table).where(table.c.id.in_(ids), table.c.claim_token == self.token).values(**values)
        )

    def _mark_sent(self, ids: list[int], note: str = "") -> None:
        attempts = OutboxEmail.__table__.c.attempts + 1
        self._update(ids, status="sent", sent_at=self.now, attempts=attempts, last_error=note)

    def flush(self) -> None:
        """Write the sent rows not yet written, and commit."""
        if self.sent:
            self._mark_sent(self.sent)
            self.sent = []
        db.session.commit()

    def sent_ok(self, row: _Claimed, refused: dict) -> None:
        self.result.sent += 1
        if refused:  # some CC addresses were refused: keep a note on the row
            self._mark_sent([row.id], "; ".join(f"CC {a} refused: {code}" for a, (code, _) in refused.items())[:1000])
            self.flush()
            return
        self.sent.append(row.id)
        if len(self.sent) >= self.every:
            self.flush()

    def retry(self, row: _Claimed, error: str, *, commit: bool = True) -> None:
        attempts = row.attempts + 1
        values = dict(attempts=attempts, last_error=error[:1000])
        if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            self.result.failed += 1
            self._update([row.id], status="failed", **values)
        else:
            self.result.retried += 1
            self._update([row.id], status="pending", next_attempt_at=self.now + backoff(attempts), **values)
        if commit:
            self.flush()

    def fail(self, row: _Claimed, error: str) -> None:
        self.result.failed += 1
        self._update([row.id], status="failed", attempts=row.attempts + 1, last_error=error[:1000])
        self.flush()


def _reset(host: smtplib.SMTP) -> None:
    """RSET after a refusal; a connection lost here shows at the next row's send instead (this
    row's outcome is already recorded and must not be overwritten by a retry)."""
    with contextlib.suppress(*TRANSIENT_NETWORK_ERRORS):
        host.rset()


def _send_one(host: smtplib.SMTP, row: _Claimed, outcomes: _Outcomes) -> None:
    try:
        refused = host.sendmail(row.sender, row.recipients, row.data)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {msg!r}" for addr, (code, msg) in exc.recipients.items())
        if all(code >= 500 for code in codes):
            outcomes.fail(row, f"Recipient refused: {detail}")
        else:
            outcomes.retry(row, f"Recipient deferred: {detail}")
        _reset(host)
        return
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            outcomes.fail(row, f"{exc.smtp_code} {exc.smtp_error!r}")
        else:
            outcomes.retry(row, f"{exc.smtp_code} {exc.smtp_error!r}")
        _reset(host)
        return
    outcomes.sent_ok(row, refused)


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


def _claimed_rows(limit: int, now: datetime) -> tuple[str, list[_Claimed]]:
    """Claim a batch and build its messages: two plain SELECTs (rows, then attachments), no
    ORM objects, so nothing is reloaded by the commits while sending."""
    token, ids = _claim(limit, now)
    if not ids:
        return "", []
    mine = (OutboxEmail.id.in_(ids), OutboxEmail.claim_token == token)
    rows = db.session.execute(
        select(OutboxEmail.id, OutboxEmail.attempts, *_OUTGOING_COLUMNS).where(*mine).order_by(OutboxEmail.id)
    ).all()
    outgoing = {row[0]: (row[1], _Outgoing(*row[2:])) for row in rows}
    attachments = select(EmailAttachment).where(EmailAttachment.email_id.in_(list(outgoing)))
    for attachment in db.session.scalars(attachments.order_by(EmailAttachment.id)):
        outgoing[attachment.email_id][1].attachments.append(attachment)
    sender = sender_address()
    return token, [
        _Claimed(row_id, attempts, [email.to_address, *email.cc_list], *message_bytes(email, sender))
        for row_id, (attempts, email) in outgoing.items()
    ]


def _prepare_deferred() -> None:
    """Render the emails whose requests were queued undecided (password resets), so they go
    out in this batch. Imported here: the services build on this package, not the reverse."""
    from core.services.passwords import prepare_reset_emails

    prepare_reset_emails()


def dispatch_once(limit: int | None = None) -> DispatchResult:
    """Deliver one batch of due outbox rows over one SMTP connection.

    Every outcome is written only for rows this dispatcher still holds (claim token); sent
    rows are committed in groups of ``MAIL_COMMIT_EVERY`` (see ``_Outcomes``), so a
    dispatcher that crashes mid-batch leaves at most that many sent rows ``sending``; they
    are sent again, with the same Message-ID, after the lease.
    """
    result = DispatchResult()
    cfg = current_app.config
    _prepare_deferred()
    now = utcnow()
    if not cfg.get("MAIL_SERVER"):
        token, ids = _claim(limit or cfg["MAIL_BATCH_SIZE"], now)
        if ids:
            db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id.in_(ids), OutboxEmail.claim_token == token)
                .values(status="logged")
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            result.logged += len(ids)
        return result
    token, rows = _claimed_rows(limit or cfg["MAIL_BATCH_SIZE"], now)
    if not rows:
        return result
    outcomes = _Outcomes(token, now, result)
    try:
        host = _connect()
    except (*TRANSIENT_NETWORK_ERRORS, smtplib.SMTPException) as exc:
        for row in rows:
            outcomes.retry(row, f"Cannot connect to the mail server: {exc}", commit=False)
        outcomes.flush()
        result.errors.append(str(exc))
        return result
    try:
        for index, row in enumerate(rows):
            try:
                _send_one(host, row, outcomes)
            except TRANSIENT_NETWORK_ERRORS as exc:
                # The connection broke: this row and the rest go back to the queue.
                for pending in rows[index:]:
                    outcomes.retry(pending, f"Connection lost: {exc}", commit=False)
                result.errors.append(str(exc))
                return result
        return result
    finally:
        try:
            outcomes.flush()
        finally:
            try:
                host.quit()
            except (*TRANSIENT_NETWORK_ERRORS, smtplib.SMTPException):
                pass


def dispatch_all(limit: int | None = None) -> DispatchResult:
    """Run batches until nothing is due; returns the summed result."""
    total = DispatchResult()
    while True:
        result = dispatch_once(limit)
        for name in ("sent", "failed", "retried", "logged"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        total.errors.extend(result.errors)
        if result.handled == 0 or result.retried or result.errors:
            return total
