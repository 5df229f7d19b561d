"""Delivering queued webhooks: claim due rows, send each signed request, record the outcome.

The same claiming as the email outbox (``core.mail.dispatch.claims``): rows are marked
``sending`` under a fresh claim token in one short transaction; on PostgreSQL the candidates are
locked with ``FOR UPDATE SKIP LOCKED``, so several dispatchers never take the same row (SQLite
serialises writers, which gives the same guarantee), and the ``UPDATE`` re-checks that the row
is still due. A row left ``sending`` by a dispatcher that died is due again once its claim is
older than ``WEBHOOK_LEASE_SECONDS``; a running dispatcher stops starting new requests of its
batch at half the lease and puts the rest back, so a live claim is never taken over.

Each outcome is written (only while the row is still this dispatcher's: claim token) and
committed right after its request, so a dispatcher killed mid-batch resends at most the request
in flight, with the same ``webhook-id`` (receivers deduplicate on it):

- a 2xx answer: ``delivered``;
- any other answer, no answer, a timeout or a TLS error: the attempt counts and the row waits
  ``WEBHOOK_RETRY_SCHEDULE[attempts - 1]`` seconds (the last value repeating), and is ``failed``
  after ``WEBHOOK_MAX_ATTEMPTS``;
- a URL that now resolves to an address webhooks may not reach (``targets.resolve``): ``failed``
  at once, nothing is sent.

Deliveries of an endpoint that is switched off wait (they are not claimed) until it is on again.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import DBAPIError, PendingRollbackError

from core.extensions import db
from core.models import WebhookDelivery, WebhookEndpoint, utcnow

from .sending import post, signed_headers
from .targets import UnsafeTarget, resolve

log = logging.getLogger(__name__)

DATABASE_ERRORS = (DBAPIError, PendingRollbackError)


@dataclass
class WebhookResult:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0  # put back untouched (half the lease spent)
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed

    def add(self, other: WebhookResult) -> None:
        """Add ``other``'s counts and errors to this result."""
        for name in ("delivered", "retried", "failed", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def lease_seconds() -> float:
    """How long a claimed delivery stays this dispatcher's (``WEBHOOK_LEASE_SECONDS``)."""
    return float(current_app.config["WEBHOOK_LEASE_SECONDS"])


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the retry schedule's entry, the last
    one repeating (default 5 s, 30 s, 2 min, 10 min, 1 h, 2 h, 4 h)."""
    schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
    return timedelta(seconds=float(schedule[min(max(attempts, 1), len(schedule)) - 1]))


def due(now: datetime):
    """SQL: the delivery is due: pending and past its retry time, or ``sending`` past the lease."""
    return or_(
        (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now),
        (WebhookDelivery.status == "sending") & (WebhookDelivery.claimed_at < now - timedelta(seconds=lease_seconds())),
    )


def due_count(now: datetime | None = None) -> int:
    """How many deliveries (of active endpoints) are due now."""
    stmt = (
        select(func.count())
        .select_from(WebhookDelivery)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.active, due(now or utcnow()))
    )
    return db.session.scalar(stmt) or 0


def claim(limit: int, now: datetime) -> tuple[str, list[int]]:
    """Mark up to ``limit`` due deliveries of active endpoints ``sending`` under a fresh claim
    token and commit; the token and the ids (those another dispatcher took meanwhile excluded)."""
    candidates = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookEndpoint.active, due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.commit()
        return "", []
    token = uuid.uuid4().hex
    # Re-checking ``due`` makes the claim atomic where SKIP LOCKED does not exist (SQLite).
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), due(now))
        .values(status="sending", claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    mine = select(WebhookDelivery.id).where(WebhookDelivery.id.in_(ids), WebhookDelivery.claim_token == token)
    ids = list(db.session.scalars(mine.order_by(WebhookDelivery.id)))
    db.session.commit()
    return token, ids


@dataclass(frozen=True)
class _Claimed:
    id: int
    message_id: str
    payload: str
    attempts: int
    url: str
    secret: str


def _load(token: str, ids: list[int]) -> list[_Claimed]:
    rows = db.session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.message_id,
            WebhookDelivery.payload,
            WebhookDelivery.attempts,
            WebhookEndpoint.url,
            WebhookEndpoint.secret,
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id.in_(ids), WebhookDelivery.claim_token == token)
        .order_by(WebhookDelivery.id)
    ).all()
    db.session.commit()
    return [_Claimed(*row) for row in rows]


def _record(token: str, row_ids: list[int], **values) -> None:
    """Write an outcome for rows this dispatcher still holds, and commit."""
    table = WebhookDelivery.__table__
    db.session.connection().execute(
        update(table).where(table.c.id.in_(row_ids), table.c.claim_token == token).values(**values)
    )
    db.session.commit()


def _attempt(row: _Claimed) -> tuple[str, int | None, str]:
    """Send one delivery: ("delivered" | "retry" | "refused", status code, error text)."""
    try:
        target = resolve(row.url)
    except UnsafeTarget as exc:
        return "refused", None, f"Not sent: {exc}"
    try:
        answer = post(target, row.payload, signed_headers(row.secret, row.message_id, row.payload))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        # Whatever the receiver does (refuses, hangs, answers garbage, bad TLS) is this attempt's
        # failure, never the dispatcher's: it goes on with the next delivery.
        return "retry", None, f"No answer: {type(exc).__name__}: {exc}"
    if answer.ok:
        return "delivered", answer.status, ""
    return "retry", answer.status, f"HTTP {answer.status}: {answer.text}"


def deliver_once(limit: int | None = None, now: datetime | None = None) -> WebhookResult:
    """Claim one batch of due deliveries and send them one by one, recording each outcome.

    ``now`` (for tests) is the moment the batch runs: what is due, and when retries are due.
    Database errors propagate after a rollback; this batch's unfinished rows come back after
    the lease.
    """
    result = WebhookResult()
    cfg = current_app.config
    now = now or utcnow()
    token, ids = claim(limit or int(cfg["WEBHOOK_BATCH_SIZE"]), now)
    if not ids:
        return result
    started = time.monotonic()
    rows = _load(token, ids)
    try:
        for index, row in enumerate(rows):
            if time.monotonic() - started > lease_seconds() / 2:
                rest = [r.id for r in rows[index:]]
                _record(token, rest, status="pending", claim_token=None, claimed_at=None)
                result.released += len(rest)
                break
            outcome, code, error = _attempt(row)
            attempts = row.attempts + 1
            values = dict(attempts=attempts, last_attempt_at=utcnow(), last_status_code=code, last_error=error[:2000])
            if outcome == "delivered":
                result.delivered += 1
                _record(token, [row.id], status="delivered", delivered_at=utcnow(), claim_token=None, **values)
                continue
            log.info("Webhook %s not delivered (attempt %d): %s", row.message_id, attempts, error)
            if outcome == "refused" or attempts >= int(cfg["WEBHOOK_MAX_ATTEMPTS"]):
                result.failed += 1
                _record(token, [row.id], status="failed", claim_token=None, **values)
            else:
                result.retried += 1
                retry_at = now + backoff(attempts)
                _record(token, [row.id], status="pending", next_attempt_at=retry_at, claim_token=None, **values)
    except DATABASE_ERRORS:
        with contextlib.suppress(*DATABASE_ERRORS):
            db.session.rollback()
        raise
    return result


def deliver_all(now: datetime | None = None, report: Callable[[WebhookResult], None] | None = None) -> WebhookResult:
    """Run batches until nothing is due; the summed result. A retried delivery waits for its
    own retry time, so a round always ends."""
    total = WebhookResult()
    while True:
        result = deliver_once(now=now)
        if report is not None:
            report(result)
        total.add(result)
        if result.handled == 0:
            return total


def run_forever(interval: float, report: Callable[[WebhookResult], None], *, sleep=None) -> None:
    """The ``webhook-dispatch --loop`` dispatcher: a round every ``interval`` seconds; a database
    outage is logged and waited out with backoff (up to a minute), never ends the loop."""
    sleep = sleep or (lambda seconds: time.sleep(seconds))
    failures = 0
    while True:
        try:
            deliver_all(report=report)
        except DATABASE_ERRORS as exc:
            with contextlib.suppress(*DATABASE_ERRORS):
                db.session.rollback()
            db.session.remove()
            failures += 1
            wait = min(interval * 2 ** (failures - 1), 60.0)
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            log.warning("Database unavailable (%s); retrying in %.0f s.", first_line, wait)
            sleep(wait)
            continue
        if failures:
            log.warning("Database reachable again after %d failed round(s).", failures)
            failures = 0
        sleep(interval)
