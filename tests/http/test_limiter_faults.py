"""Logins while the rate-limit store (a real Redis server of the test's own) is down or hung.

The limits keep counting in the process's memory (Flask-Limiter's in-memory fallback), so
nobody is locked out of the portal, and throttling still works.
"""

from __future__ import annotations

import threading

import pytest

from core.extensions import db, limiter
from tests.conftest import login, make_app
from tests.redis_server import redis_server  # noqa: F401  (fixture)

# A hang guard, not a speed measure: far above the configured timeout, far below "forever".
HANG_GUARD_SECONDS = 20


@pytest.fixture
def redis_app(app, redis_server):  # noqa: F811
    """The app with its login limits in the private Redis (rebinds the shared limiter)."""
    limited = make_app(RATELIMIT_STORAGE_URI=redis_server.uri)
    yield limited
    with limited.app_context():
        db.engine.dispose()
    # Later tests bind the limiter to their own (memory) storage again.
    make_app()


def _login_in_thread(client, contact) -> list:
    result: list = []
    worker = threading.Thread(target=lambda: result.append(login(client, contact).status_code), daemon=True)
    worker.start()
    worker.join(HANG_GUARD_SECONDS)
    return result


def test_login_works_while_redis_is_down_and_limits_still_apply(redis_app, redis_server, f):  # noqa: F811
    contact = f.make_contact()
    client = redis_app.test_client()
    assert login(client, contact).status_code == 302  # counted in Redis
    redis_server.stop()

    assert login(redis_app.test_client(), contact).status_code == 302
    # Throttling goes on in memory: the per-account limit (5 a minute) still ends a guessing run.
    statuses = [login(redis_app.test_client(), contact, "wrong-password-1").status_code for _ in range(6)]
    assert statuses[-1] == 429


def test_login_works_while_redis_hangs(redis_app, redis_server, f):  # noqa: F811
    contact = f.make_contact()
    assert login(redis_app.test_client(), contact).status_code == 302
    redis_server.pause()  # accepts connections, never answers

    first = _login_in_thread(redis_app.test_client(), contact)
    second = _login_in_thread(redis_app.test_client(), contact)

    redis_server.stop()
    assert first == [302] and second == [302]


def test_limiter_is_configured_with_fallback_and_socket_timeouts(redis_app):
    assert redis_app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    options = redis_app.config["RATELIMIT_STORAGE_OPTIONS"]
    assert options["socket_timeout"] == options["socket_connect_timeout"] == redis_app.config["RATELIMIT_REDIS_TIMEOUT"]
    assert limiter.storage.storage.connection_pool.connection_kwargs["socket_timeout"] == options["socket_timeout"]
