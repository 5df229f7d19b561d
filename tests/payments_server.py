"""A real Stripe API stand-in for the payment tests: localstripe on a free loopback port.

localstripe (PyPI) is a stateful aiohttp server that implements the Stripe API the card flow
needs (PaymentIntents, PaymentMethods, refunds) and serves a Stripe.js stand-in at
``/js.stripe.com/v3/``. The real ``stripe`` library talks to it over HTTP (``STRIPE_API_BASE``).
It is started here in a process of its own, bound to 127.0.0.1 only (its own command listens on
every interface), without loading a previous run's state, and stopped at the end of the session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess  # nosec B404
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.smtp import free_port

SECRET_KEY = "sk_test_portal_localstripe"  # noqa: S105  # nosec B105
PUBLISHABLE_KEY = "pk_test_portal_localstripe"
WEBHOOK_SECRET = "whsec_portal_test_secret"  # noqa: S105  # nosec B105

# localstripe's app served on 127.0.0.1:<port> (argv[1]); its store starts empty.
_SERVE = "import sys; from aiohttp import web; from localstripe.server import app; " + (
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None, access_log=None)"
)


class LocalStripe:
    """A running localstripe: ``api_base`` for the stripe library, ``js_url`` for the browser."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603  # nosec
            [sys.executable, "-c", _SERVE, str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_it_answers()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def js_url(self) -> str:
        return f"{self.api_base}/js.stripe.com/v3/"

    def _wait_until_it_answers(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(f"{self.api_base}/v1/payment_intents")  # noqa: S310
        request.add_header("Authorization", f"Bearer {SECRET_KEY}")
        while True:
            try:
                with urllib.request.urlopen(request, timeout=1):  # noqa: S310  # nosec B310
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)

    def register_webhook(self, url: str, secret: str = WEBHOOK_SECRET) -> None:
        """Make localstripe post its events to ``url`` (signed with ``secret``), as Stripe would."""
        body = json.dumps({"url": url, "secret": secret}).encode()
        request = urllib.request.Request(f"{self.api_base}/_config/webhooks/portal", data=body, method="POST")  # noqa: S310
        request.add_header("Authorization", f"Bearer {SECRET_KEY}")
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310  # nosec B310

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def signed_webhook(payload: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """(body, Stripe-Signature header) for an event, signed the way Stripe documents it:
    ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's secret>``."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


@pytest.fixture(scope="session")
def localstripe():
    """One localstripe for the whole session (each test's intents are its own objects)."""
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture
def stripe_on(app, localstripe):
    """The app with card payments configured against localstripe."""
    app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=localstripe.api_base,
        STRIPE_JS_URL=localstripe.js_url,
    )
    return localstripe
