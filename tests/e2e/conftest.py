"""Real-browser fixtures: the app served over HTTP, and Debian's Chromium driven by Playwright.

- ``live_server``: the ``app`` fixture (fresh empty tables) served by Werkzeug in a daemon thread
  on a free port; yields the base URL. Exceptions raised while handling a request fail the test.
- ``browser``: one headless Chromium for the tests of this directory, launched from
  ``/usr/bin/chromium`` (the Playwright browser download is never used). When it is missing the
  browser tests are skipped, or fail when ``PORTAL_REQUIRE_BROWSER=1`` (CI).
- ``new_page`` / ``page``: a fresh browser context (own cookies) per call; JavaScript errors and
  console errors (CSP violations included) are collected in ``page.problems``. Keyword arguments
  go to ``browser.new_context`` (e.g. ``bypass_csp=True`` to inject axe-core).
- ``axe``: the path of ``node_modules/axe-core/axe.min.js`` (``npm ci``; ``python3 manage.py test``
  runs it); missing, the test skips, or fails when ``PORTAL_REQUIRE_BROWSER=1``.
- ``screenshot(page, name)``: saves ``test-artifacts/screenshots/<name>-desktop.png`` (1280x800)
  and ``<name>-phone.png`` (390x844).

Every test in this directory is marked ``browser``: deselect them with ``-m "not browser"``.
"""

from __future__ import annotations

import os
import threading
import traceback
from pathlib import Path

import pytest
from flask import got_request_exception
from werkzeug.serving import make_server

from tests.e2e.helpers import DESKTOP, PHONE, SCREENSHOTS
from tests.payments_server import localstripe, stripe_on  # noqa: F401  (fixtures: card payments)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 10_000

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if _HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PORTAL_REQUIRE_BROWSER=1 makes this an error)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def live_server(app):
    """The test app served on http://127.0.0.1:<free port>; yields the base URL."""
    errors: list[str] = []

    def record(sender, exception, **extra):
        errors.append("".join(traceback.format_exception(exception)))

    got_request_exception.connect(record, app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        got_request_exception.disconnect(record, app)
    if errors:
        pytest.fail("The app raised while serving the browser:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture(scope="package")
def browser():
    """Chromium for the tests of this package, closed after them.

    Package scope, not session scope: while Playwright's sync API is alive, the main thread counts
    as running an asyncio loop, so ``asyncio.run()`` in any later test would fail.
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Call to get a page in a new browser context (a separate visitor with its own cookies)."""
    contexts = []

    def make(**options):
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"JavaScript error: {exc}"))
        page.on(
            "console",
            lambda msg: page.problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def axe():
    """The axe-core script to inject into pages (``page.add_script_tag(path=axe)``)."""
    if not AXE.exists():
        _unavailable(f"{AXE.relative_to(ROOT)} is missing (npm ci, or python3 manage.py test)")
    return AXE


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        size = page.viewport_size
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
        page.set_viewport_size(size)

    return take
