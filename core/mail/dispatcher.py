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

import smtplib
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select, update

from core.extensions import db
from core.models import OutboxEmail, utcnow

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


def claim_batch(limit: int, now: datetime | None = None) -> list[OutboxEmail]:
    """Mark up to ``limit`` due rows ``sending`` for this dispatcher, commit, and return them."""
    now = now or utcnow()
    due = or_(
        (OutboxEmail.status == "pending") & (OutboxEmail.next_attempt_at <= now),
        (OutboxEmail.status == "sending") & (OutboxEmail.claimed_at < now - LEASE),
    )
    candidates = (
        select(OutboxEmail.id).where(due).order_by(OutboxEmail.id).limit(limit).with_for_update(skip_locked=True)
    )
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.commit()
        return []
    # Re-checking ``due`` in the UPDATE makes the claim atomic even where SKIP LOCKED is
    # not available (SQLite): a row another dispatcher took meanwhile is simply not ours.
    token = uuid.uuid4().hex
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(ids), due)
        .values(status="sending", claimed_at=now, claim_token=token)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = db.session.scalars(select(OutboxEmail).where(OutboxEmail.claim_token == token).order_by(OutboxEmail.id))
    return list(rows)


def build_message(email: OutboxEmail) -> Message:
    """The MIME message of an outbox row: text and HTML parts, stable Message-ID, headers."""
    headers = {}
    if email.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{email.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = Message(
        subject=email.subject,
        recipients=[(email.to_name, email.to_address)] if email.to_name else [email.to_address],
        cc=email.cc_list or None,
        body=email.text_body,
        html=email.html_body,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers=headers,
    )
    message.msgId = email.message_id
    for attachment in email.attachments:
        message.attach(attachment.filename, attachment.content_type, attachment.data)
    return message


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    host = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
    if cfg.get("MAIL_USE_TLS"):
        host.starttls()
    if cfg.get("MAIL_USERNAME"):
        host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    return host


def _retry(email: OutboxEmail, error: str, now: datetime, result: DispatchResult) -> None:
    email.attempts += 1
    email.last_error = error[:1000]
    if email.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        email.status = "failed"
        result.failed += 1
    else:
        email.status = "pending"
        email.next_attempt_at = now + backoff(email.attempts)
        result.retried += 1


def _fail(email: OutboxEmail, error: str, result: DispatchResult) -> None:
    email.attempts += 1
    email.status = "failed"
    email.last_error = error[:1000]
    result.failed += 1


def _send_one(host: smtplib.SMTP, email: OutboxEmail, now: datetime, result: DispatchResult) -> None:
    message = build_message(email)
    recipients = [email.to_address, *email.cc_list]
    try:
        refused = host.sendmail(message.sender, recipients, message.as_bytes())
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{addr}: {code} {msg!r}" for addr, (code, msg) in exc.recipients.items())
        if all(code >= 500 for code in codes):
            _fail(email, f"Recipient refused: {detail}", result)
        else:
            _retry(email, f"Recipient deferred: {detail}", now, result)
        host.rset()
        return
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500:
            _fail(email, f"{exc.smtp_code} {exc.smtp_error!r}", result)
        else:
            _retry(email, f"{exc.smtp_code} {exc.smtp_error!r}", now, result)
        host.rset()
        return
    email.status = "sent"
    email.sent_at = now
    email.attempts += 1
    email.last_error = "; ".join(f"CC {addr} refused: {code}" for addr, (code, _) in refused.items())
    result.sent += 1


def dispatch_once(limit: int | None = None) -> DispatchResult:
    """Deliver one batch of due outbox rows; each row's outcome is committed as it happens."""
    result = DispatchResult()
    cfg = current_app.config
    rows = claim_batch(limit or cfg["MAIL_BATCH_SIZE"])
    if not rows:
        return result
    now = utcnow()
    if not cfg.get("MAIL_SERVER"):
        for email in rows:
            email.status = "logged"
            result.logged += 1
        db.session.commit()
        return result
    try:
        host = _connect()
    except (*TRANSIENT_NETWORK_ERRORS, smtplib.SMTPException) as exc:
        for email in rows:
            _retry(email, f"Cannot connect to the mail server: {exc}", now, result)
        db.session.commit()
        result.errors.append(str(exc))
        return result
    try:
        for index, email in enumerate(rows):
            try:
                _send_one(host, email, now, result)
            except TRANSIENT_NETWORK_ERRORS as exc:
                # The connection broke: this row and the rest go back to the queue.
                for pending in rows[index:]:
                    _retry(pending, f"Connection lost: {exc}", now, result)
                db.session.commit()
                result.errors.append(str(exc))
                return result
            db.session.commit()
    finally:
        try:
            host.quit()
        except (*TRANSIENT_NETWORK_ERRORS, smtplib.SMTPException):
            pass
    return result


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
