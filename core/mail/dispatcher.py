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

import base64
import contextlib
import re
import smtplib
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import quote

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select, update

from core.extensions import db
from core.models import EmailAttachment, OutboxEmail, utcnow

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


class _NeedsFullMime(Exception):
    """The row needs what only the full MIME builder does (an address that is not ASCII)."""


_CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$")
_SAFE_FILENAME = re.compile(r"^[\x20-\x7e]+$")


def _one_line(value) -> str:
    return " ".join(str(value or "").split())


def _header(name: str, value: str) -> str:
    """``Name: value`` on one line, or folded RFC 2047 encoded words when not ASCII."""
    value = _one_line(value)
    if not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {value}\r\n"


def _address(name: str, address: str) -> str:
    if not address.isascii():
        raise _NeedsFullMime(address)
    return formataddr((_one_line(name), _one_line(address))) if name else _one_line(address)


def _sender() -> tuple[str, str]:
    """(From header value, envelope address) of MAIL_DEFAULT_SENDER ("addr", "Name <addr>" or a pair)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    name, address = sender if isinstance(sender, tuple | list) else parseaddr(sender)
    return _address(name, address), address


def _text_part(text: str, subtype: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if text.isascii() and max(map(len, text.split("\n"))) <= 998:
        encoding, body = "7bit", text.replace("\n", "\r\n")
    else:
        encoding, body = "base64", base64.encodebytes(text.encode("utf-8")).decode("ascii").replace("\n", "\r\n")
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
    return f"{head}Content-Transfer-Encoding: {encoding}\r\n\r\n{body}"


def _attachment_part(filename: str, content_type: str, data: bytes) -> str:
    if not _CONTENT_TYPE.match(content_type or ""):
        content_type = "application/octet-stream"
    filename = _one_line(filename) or "attachment"
    if _SAFE_FILENAME.match(filename) and '"' not in filename and "\\" not in filename:
        disposition = f'attachment; filename="{filename}"'
    else:
        disposition = f"attachment; filename*=utf-8''{quote(filename, safe='')}"
    body = base64.encodebytes(data).decode("ascii").replace("\n", "\r\n")
    return (
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: {disposition}\r\n\r\n{body}"
    )


def _multipart(subtype: str, parts: list[str], headers: str = "") -> str:
    boundary = f"=_{uuid.uuid4().hex}"
    while any(boundary in part for part in parts):  # never in practice: base64 and plain text
        boundary = f"=_{uuid.uuid4().hex}"
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return (
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\nMIME-Version: 1.0\r\n{headers}\r\n'
        f"{body}--{boundary}--\r\n"
    )


def message_bytes(email: OutboxEmail, sender: tuple[str, str] | None = None) -> tuple[str, bytes]:
    """(envelope sender, the message as sent): the same MIME structure as ``build_message``
    (text and HTML alternatives, attachments, stable Message-ID, List-Unsubscribe), written
    directly instead of through the ``email`` package's generator, which took several times
    longer than the SMTP exchange itself. Rows with a non-ASCII address use ``build_message``.

    ``email`` is an outbox row or anything with its attributes (``cc_list``, ``attachments``);
    ``sender`` is ``_sender()``, passed in when many messages are built at once.
    """
    try:
        from_header, envelope = sender or _sender()
        headers = _header("Subject", email.subject)
        headers += f"From: {from_header}\r\n"
        headers += f"To: {_address(email.to_name, email.to_address)}\r\n"
        if email.cc_list:
            headers += f"Cc: {', '.join(_address('', address) for address in email.cc_list)}\r\n"
    except _NeedsFullMime:
        message = build_message(email)
        return message.sender, message.as_bytes()
    headers += f"Date: {formatdate(localtime=True)}\r\n"
    headers += _header("Message-ID", email.message_id)
    if email.unsubscribe_url:
        headers += f"List-Unsubscribe: <{_one_line(email.unsubscribe_url)}>\r\n"
        headers += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    texts = [_text_part(email.text_body, "plain")]
    if email.html_body:
        texts.append(_text_part(email.html_body, "html"))
    alternative = texts[0] if len(texts) == 1 else _multipart("alternative", texts)
    if email.attachments:
        parts = [alternative] + [_attachment_part(a.filename, a.content_type, a.data) for a in email.attachments]
        text = _multipart("mixed", parts, headers)
    else:
        # the headers go before the (single) part's own blank line
        head, _, body = alternative.partition("\r\n\r\n")
        text = f"{head}\r\n{headers}\r\n{body}"
    return envelope, text.encode("ascii")


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
    sender = _sender()
    return token, [
        _Claimed(row_id, attempts, [email.to_address, *email.cc_list], *message_bytes(email, sender))
        for row_id, (attempts, email) in outgoing.items()
    ]


def dispatch_once(limit: int | None = None) -> DispatchResult:
    """Deliver one batch of due outbox rows over one SMTP connection.

    Every outcome is written only for rows this dispatcher still holds (claim token); sent
    rows are committed in groups of ``MAIL_COMMIT_EVERY`` (see ``_Outcomes``), so a
    dispatcher that crashes mid-batch leaves at most that many sent rows ``sending``; they
    are sent again, with the same Message-ID, after the lease.
    """
    result = DispatchResult()
    cfg = current_app.config
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
