"""Shared helpers for the benchmark scripts (not part of the app)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / ".data"
RESULTS = BENCH / "results"
LAST_SIZE = BENCH / ".last-size"
PASSWORD = "bench-pass-2026"  # noqa: S105 - benchmark data only

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def default_url(size: str) -> str:
    return f"sqlite:///{DATA / f'{size}.sqlite3'}"


def sqlalchemy_url(url: str) -> str:
    """The URL the app would use for ``DATABASE_URL=url`` (postgresql:// -> psycopg 3)."""
    from core.config import database_url

    saved = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        return database_url()
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


def db_label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def read_last() -> dict:
    return json.loads(LAST_SIZE.read_text()) if LAST_SIZE.exists() else {}


# The benchmarks' own key (long enough for the app's start check); never used for serving.
BENCH_SECRET_KEY = "bench-secret-not-for-production-0123456789abcdef"  # noqa: S105  # nosec B105


def make_app(url: str, **extra):
    """The real app bound to ``url`` (the same factory gunicorn uses)."""
    from core.app import create_app

    config = {"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": BENCH_SECRET_KEY, **extra}
    return add_floor(create_app(config))


def add_floor(app):
    """Register the bare ``/bench/floor`` route (the framework floor) on ``app``."""

    def bench_floor():
        return "ok"

    app.add_url_rule("/bench/floor", "bench_floor", bench_floor)
    return app


def wait_for_idle(threshold: float, max_seconds: int = 300) -> None:
    """Wait (up to ``max_seconds``) until the 1-minute load average is below ``threshold``."""
    if threshold <= 0:
        return
    deadline = time.time() + max_seconds
    while os.getloadavg()[0] >= threshold and time.time() < deadline:
        time.sleep(5)


def app_state() -> str:
    """The code measured: HEAD and how many files differ from it (read-only git commands)."""
    import subprocess

    try:
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout  # noqa: S603
        dirty = subprocess.run(  # noqa: S603
            [*git, "status", "--porcelain", "--", "core", "portal", "admin", "templates"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
    except OSError:
        return "unknown"
    changed = len([line for line in dirty.splitlines() if line.strip()])
    return f"{head.strip()} + {changed} changed file(s) in core/portal/admin/templates"


WEB_TWEAKS = ("pre-ping", "no-pre-ping", "no-pdf-cache", "autocommit")


def apply_web_tweaks(app, tweaks: list[str]) -> None:
    """What-if changes for the load test (never applied unless asked for), to compare a page
    with and without an app setting in the same run (``loadtest.py --database-url "URL|tweak"``).

    - pre-ping / no-pre-ping: the "ping" round trip when a request checks out a database
      connection on or off (``pool_pre_ping``; core/config.py leaves it off unless
      DATABASE_POOL_PRE_PING=1).
    - no-pdf-cache: every PDF download renders again (core.pdf's per-version cache off).

    (An earlier "one-query-user" tweak, the contact loaded with its customer and permissions in
    one statement, is now what core/auth.py does.)
    """
    unknown = set(tweaks) - set(WEB_TWEAKS)
    if unknown:
        raise ValueError(f"unknown web tweak(s) {sorted(unknown)}; known: {', '.join(WEB_TWEAKS)}")
    if "pre-ping" in tweaks or "no-pre-ping" in tweaks:
        from core.extensions import db

        with app.app_context():
            db.engine.pool._pre_ping = "pre-ping" in tweaks
    if "autocommit" in tweaks:
        # Every statement in DBAPI autocommit (no BEGIN/ROLLBACK round trips): what reads would gain.
        from core.extensions import db

        with app.app_context():
            engines = db._app_engines[app]
            engines[None] = engines[None].execution_options(isolation_level="AUTOCOMMIT")
    if "no-pdf-cache" in tweaks:
        import core.pdf

        core.pdf.pdf_cache.max_bytes = 0
