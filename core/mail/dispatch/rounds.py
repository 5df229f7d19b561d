"""Dispatch rounds: one batch (``dispatch_once``), until nothing is due (``dispatch_all``), one
request's emails within a time budget (``dispatch_queued``) and the ``--loop`` dispatcher
(``run_forever``). With no ``MAIL_SERVER`` rows are marked ``logged`` instead of sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from flask import current_app
from sqlalchemy import update

from core.extensions import db
from core.models import OutboxEmail, utcnow

from .claims import claim, load_claimed
from .delivery import deliver
from .outcomes import DATABASE_ERRORS, DispatchResult, Outcomes, rollback

log = logging.getLogger(__name__)


def render_deferred_emails() -> None:
    """Render the emails whose requests were queued undecided (password resets, sign-in links),
    so they go out in this batch. Imported here: the services build on this package, not the reverse."""
    from core.services.passwords import prepare_reset_emails
    from core.services.sign_in_links import prepare_sign_in_link_emails

    prepare_reset_emails()
    prepare_sign_in_link_emails()


def _log_only(limit: int, now: datetime, result: DispatchResult, only: list[str] | None) -> None:
    token, ids = claim(limit, now, only)
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
    rows are committed in groups of ``MAIL_COMMIT_EVERY`` (see ``Outcomes``), so a
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
        render_deferred_emails()
    now = utcnow()
    if not cfg.get("MAIL_SERVER"):
        _log_only(limit, now, result, only)
        return result
    token, ids = claim(limit, now, only)
    if not ids:
        return result
    outcomes = Outcomes(token, ids, now, result)
    try:
        deliver(load_claimed(token, ids), outcomes, deadline)
    except DATABASE_ERRORS:
        outcomes.settle(wait=deadline is None)
        raise
    return result


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
    from ..flush import collected

    deadline = time.monotonic() + seconds
    if prepare_deferred:
        render_deferred_emails()
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
    also: Callable[[], object] | None = None,
) -> None:
    """The ``--loop`` dispatcher: a round every ``interval`` seconds, never ending on a fault.

    ``also`` runs in every round after the emails (the webhook deliveries), under the same
    database fault handling. A database error (restart, failover, dropped connection) rolls back, logs, and retries with
    backoff (up to a minute) on a fresh connection; a mail server outage backs off the same
    way. Returns only when interrupted (KeyboardInterrupt propagates).
    """
    sleep = sleep or (lambda seconds: time.sleep(seconds))  # looked up at each call
    db_failures = smtp_failures = 0
    while True:
        try:
            total = dispatch_all(batch_size, report)
            if also is not None:
                also()
        except DATABASE_ERRORS as exc:
            rollback()
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
