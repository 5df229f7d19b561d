"""Recording what happened to claimed rows: sent, deferred, failed or put back.

Only the server's answer about a message consumes one of its attempts: a 4xx reply defers that
message with an exponential backoff (``backoff``), a 5xx reply fails it. A lost database
connection never loses a claimed row: what was sent is recorded and the rest is put back as soon
as the database answers again (``Outcomes.settle``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from core.extensions import db
from core.models import OutboxEmail, utcnow

from .claims import Claimed, lease_seconds

log = logging.getLogger(__name__)

# What a dropped or restarted database raises: the session must be rolled back and the
# statement retried on a fresh connection.
DATABASE_ERRORS = (DBAPIError, PendingRollbackError)


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


def server_text(message: bytes | str) -> str:
    """The server's reply text as a person reads it (SMTP replies arrive as bytes)."""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message).split())


def rollback() -> None:
    """Roll the session back; on a dead connection this only discards it (the pool replaces it)."""
    with contextlib.suppress(*DATABASE_ERRORS):
        db.session.rollback()


class Outcomes:
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
            rollback()
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

    def sent_ok(self, row: Claimed, refused: dict) -> None:
        self.result.sent += 1
        if refused:  # some CC addresses were refused: keep a note on the row
            note = "; ".join(f"CC {a} refused: {code} {server_text(text)}" for a, (code, text) in refused.items())
            self._stage_sent([row.id], note[:1000])
            self.flush()
            return
        self.sent.append(row.id)
        if len(self.sent) >= self.every:
            self.flush()

    def retry(self, row: Claimed, error: str) -> None:
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

    def fail(self, row: Claimed, error: str) -> None:
        self.result.failed += 1
        self._stage([row.id], status="failed", attempts=row.attempts + 1, last_error=error[:1000])
        self.flush()

    def release(self, rows: Iterable[Claimed], note: str, *, delay: timedelta | None = None) -> None:
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
            rollback()
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
                    rollback()
                    log.error("Database still unreachable (%s): this batch's rows return after the lease.", exc)
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
