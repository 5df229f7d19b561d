"""One webhook request: signed per Standard Webhooks, POSTed to the address checked just before.

Headers (https://www.standardwebhooks.com): ``webhook-id`` (the delivery's ``msg_...`` id, the
same on every attempt), ``webhook-timestamp`` (this attempt's Unix time) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` with the endpoint's secret), signed by
the ``standardwebhooks`` package. The request goes to ``Target.address`` (checked by
``targets.resolve`` right before), with the URL's host name as ``Host`` and TLS SNI and the
certificate checked against it; redirects are never followed (a 3xx is a failed attempt), and
connecting and each read are bounded by ``WEBHOOK_TIMEOUT``.
"""

from __future__ import annotations

import base64
import http.client
import secrets
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from standardwebhooks import Webhook

from .targets import Target

# The Standard Webhooks format's prefix of a secret, not a secret.
SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105
MAX_ANSWER_BYTES = 2000  # what is kept of a failed answer's body, for the delivery log


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks format: ``whsec_`` + base64(32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, message_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers for ``body`` sent now (or at ``now``, UTC)."""
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
    }


@dataclass(frozen=True)
class Answer:
    """The receiver's answer: its status code and the start of its body."""

    status: int
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a fixed, already checked address; ``host`` stays the URL's (the Host header)."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed, already checked address; SNI and the certificate check use the host name."""

    def __init__(self, target: Target, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: str, headers: dict[str, str]) -> Answer:
    """POST ``body`` (JSON) with ``headers`` to ``target``; the answer, or ``OSError`` (including
    timeouts and TLS errors) / ``http.client.HTTPException`` when there is none."""
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body.encode(),
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": "customer-portal-webhooks/1",
            },
        )
        response = connection.getresponse()
        text = response.read(MAX_ANSWER_BYTES).decode("utf-8", "replace")
        return Answer(response.status, " ".join(text.split()))
    finally:
        connection.close()
