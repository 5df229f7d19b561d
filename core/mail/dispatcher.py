"""Delivering the outbox over SMTP: claim rows, send over one connection, record the outcome.

- Claiming marks rows ``sending`` in one short transaction; on PostgreSQL the candidate rows
  are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers never take the same
  row. SQLite serialises writers, which gives the same guarantee for a single database file.
  A row left ``sending`` by a crashed dispatcher is claimable again after the lease
  (``MAIL_LEASE_SECONDS``); a running dispatcher renews the lease of its batch while sending.
- Only the server's answer about a message consumes one of its attempts: a 4xx reply defers
  that message with an exponential backoff (the rest of the batch goes on), a 5xx reply fails
  it. An unavailable mail server (connection refused or dropped, 421) is nobody's fault: the
  claimed rows are put back untouched, with a note, and the round ends.
- A lost database connection never loses a claimed row: what was sent is recorded and the rest
  is put back as soon as the database answers again (``_Outcomes.settle``).
- With no ``MAIL_SERVER`` (the embedded default) rows are marked ``logged``: stored and
  readable in the admin email log, never sent.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from core.extensions import db
from core.models import EmailAttachment, OutboxEmail, utcnow

from .message import message_bytes, sender_address

log = logging.getLogger(__name__)

TRANSIENT_NETWORK_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout)
# What a dropped or restarted database raises: the session must be rolled back and the
# statement retried on a fresh connection.
DATABASE_ERRORS = (DBAPIError, PendingRollbackError)
SERVICE_UNAVAILABLE = 421  # the server closes the connection: about the server, not the message


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    logged: int = 0
    released: int = 0  # put back untouched (mail server unavailable, time budget spent)
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retried + self.logged

    def add(self, other: DispatchResult) -> None:
        """Add ``other``'s counts and errors to this result."""
        for name in ("sent", "failed", "retried", "logged", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def lease_seconds() -> float:
    """How long a claimed row stays ours without a renewal (``MAIL_LEASE_SECONDS``)."""
    return float(current_app.config["MAIL_LEASE_SECONDS"])


def _due(now: datetime):
    lease_start = now - timedelta(seconds=lease_seconds())
    return or_(
        (OutboxEmail.status == "pending") & (OutboxEmail.next_attempt_at <= now),
        (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < lease_start),
    )


def due_count() -> int:
    """How many outbox rows are due now."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(OutboxEmail).where(_due(utcnow()))) or 0


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
            .where(OutboxEmail.message_id.in_(only), _due(now))
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


def _claim(limit: int, now: datetime, only: list[str] | None = None) -> tuple[str, list[int]]:
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


def _connect(timeout: float) -> smtplib.SMTP:
    cfg = current_app.config
    host = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout)
    if cfg.get("MAIL_USE_TLS"):
        host.starttls()
    if cfg.get("MAIL_USERNAME"):
        host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    return host


def server_text(message: bytes | str) -> str:
    """The server's reply text as a person reads it (SMTP replies arrive as bytes)."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message).split())


class _Outage(Exception):
    """The mail server as a whole is unavailable; no message is to blame."""


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
    and committed at once. An outcome leaves memory only once its commit succeeded, so a
    database error never forgets what was sent (``settle`` writes it when the database is back).
    """

    def __init__(self, token: str, ids: list[int], now: datetime, result: DispatchResult):
        self.token, self.ids, self.now, self.result = token, ids, now, result
        self.every = max(int(current_app.config.get("MAIL_COMMIT_EVERY", 1)), 1)
        self.sent: list[int] = []
        self.staged: list[tuple[list[int], dict]] = []
        self.renewed = time.monotonic()

    def _update(self, ids: list[int], **values) -> None:
        # A Core UPDATE on the session's connection (same transaction): no ORM bookkeeping.
        table = OutboxEmail.__table__
        db.session.connection().execute(
            update(table).where(table.c.id.in_(ids), table.c.claim_token == self.token).values(**values)
        )

    def _stage(self, ids: list[int], **values) -> None:
        self.staged.append((ids, values))

    def _stage_sent(self, ids: list[int], note: str = "") -> None:
        attempts = OutboxEmail.__table__.c.attempts + 1
        self._stage(ids, status="sent", sent_at=self.now, attempts=attempts, last_error=note)

    def flush(self) -> None:
        """Write every outcome not yet written, and commit; on a database error the session is
        rolled back, the outcomes stay staged, and the error propagates."""
        if self.sent:
            self._stage_sent(self.sent)
            self.sent = []
        try:
            for ids, values in self.staged:
                self._update(ids, **values)
            db.session.commit()
        except DATABASE_ERRORS:
            _rollback()
            raise
        self.staged = []

    def renew_if_due(self) -> None:
        """Push the lease of the rows still ``sending`` forward once a third of it has passed,
        so a slow batch is never taken over (and sent again) by another dispatcher."""
        if time.monotonic() - self.renewed < lease_seconds() / 3:
            return
        # Harmless on rows already done: only a ``sending`` row's claim time is ever read.
        self._stage(self.ids, claimed_at=utcnow())
        self.flush()
        self.renewed = time.monotonic()

    def sent_ok(self, row: _Claimed, refused: dict) -> None:
        self.result.sent += 1
        if refused:  # some CC addresses were refused: keep a note on the row
            note = "; ".join(f"CC {a} refused: {code} {server_text(text)}" for a, (code, text) in refused.items())
            self._stage_sent([row.id], note[:1000])
            self.flush()
            return
        self.sent.append(row.id)
        if len(self.sent) >= self.every:
            self.flush()

    def retry(self, row: _Claimed, error: str) -> None:
        """The server deferred this message (4xx): one attempt used, back after a backoff."""
        attempts = row.attempts + 1
        values = dict(attempts=attempts, last_error=error[:1000])
        if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            self.result.failed += 1
            self._stage([row.id], status="failed", **values)
        else:
            self.result.retried += 1
            self._stage([row.id], status="pending", next_attempt_at=self.now + backoff(attempts), **values)
        self.flush()

    def fail(self, row: _Claimed, error: str) -> None:
        self.result.failed += 1
        self._stage([row.id], status="failed", attempts=row.attempts + 1, last_error=error[:1000])
        self.flush()

    def release(self, rows: Iterable[_Claimed], note: str, *, delay: timedelta | None = None) -> None:
        """Put rows back as they were (no attempt used), with a note for the email log."""
        ids = [row.id for row in rows]
        if not ids:
            return
        self.result.released += len(ids)
        values = dict(status="pending", claim_token=None, claimed_at=None, last_error=note[:1000])
        if delay is not None:
            values["next_attempt_at"] = utcnow() + delay
        self._stage(ids, **values)
        self.flush()

    def settle(self, *, wait: bool = True) -> bool:
        """After a database error: record what was sent and put back every other row this
        dispatcher still holds, retrying with backoff until the database answers (at most
        half a lease; past it the rows come back with the lease anyway; one try only without
        ``wait``, as in a web worker's flush). True when settled."""
        if self.sent:
            self._stage_sent(self.sent)
            self.sent = []
        table = OutboxEmail.__table__
        deadline = time.monotonic() + lease_seconds() / 2
        delay = 0.5
        while True:
            _rollback()
            try:
                for ids, values in self.staged:
                    self._update(ids, **values)
                db.session.connection().execute(
                    update(table)
                    .where(table.c.id.in_(self.ids), table.c.claim_token == self.token, table.c.status == "sending")
                    .values(status="pending", claim_token=None, claimed_at=None)
                )
                db.session.commit()
                self.staged = []
                log.warning("Database connection lost mid-batch: outcomes recorded, unsent emails put back.")
                return True
            except DATABASE_ERRORS as exc:
                if not wait or time.monotonic() + delay > deadline:
                    _rollback()
                    log.error("Database still unreachable (%s): this batch's rows return after the lease.", exc)
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 10.0)


def _rollback() -> None:
    """Roll the session back; on a dead connection this only discards it (the pool replaces it)."""
    with contextlib.suppress(*DATABASE_ERRORS):
        db.session.rollback()


def _reset(host: smtplib.SMTP) -> None:
    """RSET after a refusal; a connection lost here shows at the next row's send instead (this
    row's outcome is already recorded and must not be overwritten by a retry)."""
    with contextlib.suppress(*TRANSIENT_NETWORK_ERRORS):
        host.rset()


def _send_one(host: smtplib.SMTP, row: _Claimed, outcomes: _Outcomes) -> None:
    try:
        refused = host.sendmail(row.sender, row.recipients, row.data)
    except smtplib.SMTPRecipientsRefused as exc:
        answers = exc.recipients.items()
        detail = "; ".join(f"{addr}: {code} {server_text(text)}" for addr, (code, text) in answers)
        if any(code == SERVICE_UNAVAILABLE for _, (code, _text) in answers):
            raise _Outage(detail) from exc
        if all(code >= 500 for _, (code, _text) in answers):
            outcomes.fail(row, f"Recipient refused: {detail}")
        else:
            outcomes.retry(row, f"Recipient deferred: {detail}")
        _reset(host)
        return
    except smtplib.SMTPResponseException as exc:
        answer = f"{exc.smtp_code} {server_text(exc.smtp_error)}"
        if exc.smtp_code == SERVICE_UNAVAILABLE:
            raise _Outage(answer) from exc
        if exc.smtp_code >= 500:
            outcomes.fail(row, answer)
        else:
            outcomes.retry(row, answer)
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


def _load(token: str, ids: list[int]) -> list[_Claimed]:
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
        _Claimed(row_id, attempts, [email.to_address, *email.cc_list], *message_bytes(email, sender))
        for row_id, (attempts, email) in outgoing.items()
    ]


def _prepare_deferred() -> None:
    """Render the emails whose requests were queued undecided (password resets), so they go
    out in this batch. Imported here: the services build on this package, not the reverse."""
    from core.services.passwords import prepare_reset_emails

    prepare_reset_emails()


def _log_only(limit: int, now: datetime, result: DispatchResult, only: list[str] | None) -> None:
    token, ids = _claim(limit, now, only)
    if ids:
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(ids), OutboxEmail.claim_token == token)
            .values(status="logged")
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        result.logged += len(ids)


def dispatch_once(
    limit: int | None = None, *, only: list[str] | None = None, deadline: float | None = None
) -> DispatchResult:
    """Deliver one batch of due outbox rows over one SMTP connection.

    Every outcome is written only for rows this dispatcher still holds (claim token); sent
    rows are committed in groups of ``MAIL_COMMIT_EVERY`` (see ``_Outcomes``), so a
    dispatcher that crashes mid-batch leaves at most that many sent rows ``sending``; they
    are sent again, with the same Message-ID, after the lease. A dispatcher that merely loses
    its database connection records them once it is back, and re-raises the error.

    ``only`` restricts the batch to these Message-IDs; past ``deadline`` (``time.monotonic()``)
    no further message is started and the rest are put back untouched.
    """
    result = DispatchResult()
    cfg = current_app.config
    limit = limit or cfg["MAIL_BATCH_SIZE"]
    if only is None:
        _prepare_deferred()
    now = utcnow()
    if not cfg.get("MAIL_SERVER"):
        _log_only(limit, now, result, only)
        return result
    token, ids = _claim(limit, now, only)
    if not ids:
        return result
    outcomes = _Outcomes(token, ids, now, result)
    try:
        _deliver(_load(token, ids), outcomes, deadline)
    except DATABASE_ERRORS:
        outcomes.settle(wait=deadline is None)
        raise
    return result


def _timeout(deadline: float | None) -> float:
    """The SMTP socket timeout: ``MAIL_TIMEOUT``, but never far past the deadline."""
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    if deadline is not None:
        timeout = max(min(timeout, deadline - time.monotonic()), 1.0)
    return timeout


def _deliver(rows: list[_Claimed], outcomes: _Outcomes, deadline: float | None) -> None:
    result = outcomes.result
    try:
        host = _connect(_timeout(deadline))
    except (*TRANSIENT_NETWORK_ERRORS, smtplib.SMTPException) as exc:
        detail = server_text(getattr(exc, "smtp_error", b"")) or str(exc)
        outcomes.release(rows, f"Mail server unavailable: {detail}")
        result.errors.append(f"Cannot connect to the mail server: {detail}")
        return
    try:
        for index, row in enumerate(rows):
            if deadline is not None and time.monotonic() >= deadline:
                outcomes.release(rows[index:], "Not sent within the time allowed; the dispatcher sends it.")
                return
            if deadline is not None and host.sock is not None:  # (None once the server hung up)
                host.sock.settimeout(_timeout(deadline))
            try:
                _send_one(host, row, outcomes)
            except (_Outage, *TRANSIENT_NETWORK_ERRORS) as exc:
                # The server went away: nobody's fault. The message in flight waits a little
                # (should it be what breaks the connection, the others still go first).
                note = f"Mail server unavailable: {exc}"
                outcomes.release([row], note, delay=backoff(1))
                outcomes.release(rows[index + 1 :], note)
                result.errors.append(str(exc))
                return
            outcomes.renew_if_due()
    finally:
        try:
            outcomes.flush()
        finally:
            with contextlib.suppress(*TRANSIENT_NETWORK_ERRORS, smtplib.SMTPException):
                host.quit()


def dispatch_all(limit: int | None = None, report: Callable[[DispatchResult], None] | None = None) -> DispatchResult:
    """Run batches until nothing is due or the mail server is unavailable; returns the summed
    result. A deferred message (4xx) waits for its own retry time: the round goes on."""
    total = DispatchResult()
    while True:
        result = dispatch_once(limit)
        if report is not None:
            report(result)
        total.add(result)
        if result.handled == 0 or result.errors:
            return total


def dispatch_queued(message_ids: list[str], *, prepare_deferred: bool, seconds: float) -> DispatchResult:
    """Deliver only these emails (one request's), within ``seconds``; whatever is left stays
    pending for the dispatcher. With ``prepare_deferred`` the queued reset requests are
    rendered first and their emails (collected by ``mark_queued``) join the list."""
    from .flush import collected

    deadline = time.monotonic() + seconds
    if prepare_deferred:
        _prepare_deferred()
    ids = list(dict.fromkeys([*message_ids, *collected()]))
    total = DispatchResult()
    batch = current_app.config["MAIL_BATCH_SIZE"]
    for start in range(0, len(ids), batch):
        if time.monotonic() >= deadline:
            break
        result = dispatch_once(batch, only=ids[start : start + batch], deadline=deadline)
        total.add(result)
        if result.errors:
            break
    return total


def run_forever(
    interval: float,
    batch_size: int | None,
    report: Callable[[DispatchResult], None],
    *,
    sleep: Callable[[float], None] | None = None,
) -> None:
    """The ``--loop`` dispatcher: a round every ``interval`` seconds, never ending on a fault.

    A database error (restart, failover, dropped connection) rolls back, logs, and retries with
    backoff (up to a minute) on a fresh connection; a mail server outage backs off the same
    way. Returns only when interrupted (KeyboardInterrupt propagates).
    """
    sleep = sleep or (lambda seconds: time.sleep(seconds))  # looked up at each call
    db_failures = smtp_failures = 0
    while True:
        try:
            total = dispatch_all(batch_size, report)
        except DATABASE_ERRORS as exc:
            _rollback()
            db.session.remove()
            db_failures += 1
            wait = min(interval * 2 ** (db_failures - 1), 60.0)
            log.warning("Database unavailable (%s); retrying in %.0f s.", _first_line(exc), wait)
            sleep(wait)
            continue
        if db_failures:
            log.warning("Database reachable again after %d failed round(s).", db_failures)
            db_failures = 0
        if total.errors:
            smtp_failures += 1
            wait = min(interval * 2 ** (smtp_failures - 1), 60.0)
            log.warning("Mail server unavailable (%s); retrying in %.0f s.", total.errors[0], wait)
            sleep(wait)
            continue
        if smtp_failures:
            log.warning("Mail server reachable again after %d failed round(s).", smtp_failures)
            smtp_failures = 0
        sleep(interval)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
