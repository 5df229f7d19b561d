"""Sending claimed rows over one SMTP connection.

An unavailable mail server (connection refused or dropped, 421) is nobody's fault: the claimed
rows are put back untouched, with a note, and the round ends. A refusal of one message (4xx or
5xx) is recorded for that message (``Outcomes``) and the rest of the batch goes on.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import time

from flask import current_app

from .claims import Claimed
from .outcomes import Outcomes, backoff, server_text

TRANSIENT_NETWORK_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout)
SERVICE_UNAVAILABLE = 421  # the server closes the connection: about the server, not the message


def _connect(timeout: float) -> smtplib.SMTP:
    cfg = current_app.config
    host = smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=timeout)
    if cfg.get("MAIL_USE_TLS"):
        host.starttls()
    if cfg.get("MAIL_USERNAME"):
        host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    return host


class _Outage(Exception):
    """The mail server as a whole is unavailable; no message is to blame."""


def _reset(host: smtplib.SMTP) -> None:
    """RSET after a refusal; a connection lost here shows at the next row's send instead (this
    row's outcome is already recorded and must not be overwritten by a retry)."""
    with contextlib.suppress(*TRANSIENT_NETWORK_ERRORS):
        host.rset()


def _send_one(host: smtplib.SMTP, row: Claimed, outcomes: Outcomes) -> None:
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


def smtp_timeout(deadline: float | None) -> float:
    """The SMTP socket timeout: ``MAIL_TIMEOUT``, but never far past the deadline."""
    timeout = float(current_app.config["MAIL_TIMEOUT"])
    if deadline is not None:
        timeout = max(min(timeout, deadline - time.monotonic()), 1.0)
    return timeout


def deliver(rows: list[Claimed], outcomes: Outcomes, deadline: float | None) -> None:
    """Send ``rows`` over one SMTP connection, recording each outcome in ``outcomes``: every row
    ends sent, deferred, failed or put back (server unavailable, ``deadline`` passed), and every
    outcome is flushed before returning. Database errors propagate (``Outcomes.settle``)."""
    result = outcomes.result
    try:
        host = _connect(smtp_timeout(deadline))
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
                host.sock.settimeout(smtp_timeout(deadline))
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
