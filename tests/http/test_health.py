"""``/healthz`` and ``/readyz`` against real dependencies: a database that refuses connections, a
schema behind the migrations, a private Redis server that is stopped, an outbox with an old email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from core.extensions import db
from core.models import OutboxEmail, utcnow
from tests.conftest import make_app
from tests.http.test_database_faults import _closed_port
from tests.redis_server import redis_server  # noqa: F401  (fixture)


def test_healthz_answers_without_any_dependency():
    app = make_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ok_with_the_database_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok" and response.json["checks"]["database"]["ok"] is True
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_fails_when_the_database_refuses_connections():
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x",
        PROPAGATE_EXCEPTIONS=False,
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    database = response.json["checks"]["database"]
    assert database["ok"] is False and database["error"] == "OperationalError"
    assert "127.0.0.1" not in response.get_data(as_text=True)  # details only in the log


def test_readyz_fails_while_the_schema_is_behind_the_code(client):
    (current,) = db.session.execute(text("SELECT version_num FROM alembic_version")).one()
    db.session.execute(text("UPDATE alembic_version SET version_num = '7c3e9a1d52f4'"))
    db.session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json["checks"]["database"]["schema"] == ["7c3e9a1d52f4"]
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        db.session.commit()


def test_readyz_checks_redis_when_configured(app, redis_server):  # noqa: F811
    checked = make_app(RATELIMIT_STORAGE_URI=redis_server.uri, READYZ_REDIS=True)
    assert checked.test_client().get("/readyz").status_code == 200
    redis_server.stop()
    response = checked.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["redis"]["ok"] is False
    assert response.json["checks"]["database"]["ok"] is True
    with checked.app_context():
        db.engine.dispose()
    make_app()  # the shared limiter back on memory storage


def test_readyz_fails_when_the_oldest_due_email_waits_too_long(app, client, f):
    app.config["READYZ_OUTBOX_MAX_AGE"] = 600
    contact = f.make_contact()
    email = OutboxEmail(
        event="invoice_sent",
        to_address=contact.email,
        subject="Invoice",
        text_body="x",
        html_body="x",
        message_id="<ready-1@portal.localhost>",
        next_attempt_at=utcnow() - timedelta(seconds=60),
    )
    db.session.add(email)
    db.session.commit()
    fresh = client.get("/readyz")
    assert fresh.status_code == 200 and fresh.json["checks"]["outbox"]["oldest_due_seconds"] >= 60

    email.next_attempt_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json["checks"]["outbox"]["ok"] is False
