"""Health endpoints for load balancers and orchestrators.

- ``/healthz``: the process is alive and serving (no database, no Redis): restart it if this fails.
- ``/readyz``: the process can serve real pages: the database answers, its schema is at the
  migrations' head, and, when configured, Redis answers (``READYZ_REDIS=1``) and the oldest
  email due in the outbox waits less than ``READYZ_OUTBOX_MAX_AGE`` seconds. 200 when all hold,
  else 503; the body (JSON) says which check failed. Take the process out of rotation on 503.

Probes must send a Host header that ``TRUSTED_HOSTS`` accepts. Neither needs a session or a
login, neither raises (a failing check is reported, its details only logged), and neither is
ever cached.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text

from core.extensions import REDIS_SCHEMES, db
from core.models import OutboxEmail, utcnow

bp = Blueprint("health", __name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@functools.cache
def migration_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
def healthz():
    """Always 200 while the process serves requests."""
    return _no_store(current_app.response_class("ok\n", mimetype="text/plain"))


def _check_database() -> dict:
    versions = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    if versions != migration_heads():
        return {"ok": False, "error": "schema not at the migrations' head", "schema": sorted(versions)}
    return {"ok": True}


def _check_redis() -> dict:
    import redis

    timeout = float(current_app.config["RATELIMIT_REDIS_TIMEOUT"])
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if not uri.startswith(REDIS_SCHEMES):
        return {"ok": False, "error": "READYZ_REDIS is set but RATELIMIT_STORAGE_URI is not redis://"}
    client = redis.Redis.from_url(uri, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def _check_outbox(max_age: float) -> dict:
    oldest = db.session.scalar(
        select(func.min(OutboxEmail.next_attempt_at)).where(
            OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= utcnow()
        )
    )
    age = 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())
    return {"ok": age <= max_age, "oldest_due_seconds": round(age), "max_age_seconds": max_age}


@bp.route("/readyz")
def readyz():
    """200 when every configured dependency is usable, else 503 with the failing checks."""
    config = current_app.config
    checks: dict[str, dict] = {}
    plan = [("database", _check_database)]
    if config.get("READYZ_REDIS"):
        plan.append(("redis", _check_redis))
    max_age = float(config.get("READYZ_OUTBOX_MAX_AGE") or 0)
    if max_age > 0:
        plan.append(("outbox", lambda: _check_outbox(max_age)))
    for name, check in plan:
        started = time.perf_counter()
        try:
            checks[name] = check()
        except Exception as exc:  # a probe reports the failure, it never raises it
            # The details go to the log only: the probe's answer may be public.
            current_app.logger.warning("Readiness check %s failed: %s", name, exc)
            checks[name] = {"ok": False, "error": type(exc).__name__}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    ready = all(check["ok"] for check in checks.values())
    if not ready:
        current_app.logger.warning("Not ready: %s", {k: v for k, v in checks.items() if not v["ok"]})
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)
