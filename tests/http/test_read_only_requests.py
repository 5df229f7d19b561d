"""GET and HEAD requests read without a transaction and can never write (core/read_only.py)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Setting
from core.read_only import ReadOnlyRequestError


def _dbapi_autocommit() -> bool:
    """Whether the request's database connection is in DBAPI autocommit (no BEGIN, no ROLLBACK)."""
    raw = db.session.connection().connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection):
        return raw.isolation_level is None
    return raw.autocommit  # psycopg


@pytest.fixture
def probe_app(app):
    """The app with three probe routes (added before its first request)."""

    @app.route("/_probe/mode", methods=["GET", "HEAD", "POST"])
    def mode():
        db.session.scalar(select(Setting.key).limit(1))
        return {"autocommit": _dbapi_autocommit()}

    @app.route("/_probe/write", methods=["GET", "POST"])
    def write():
        db.session.add(Setting(key="probe", value="written"))
        db.session.commit()
        return "written"

    app.config["PROPAGATE_EXCEPTIONS"] = True
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_get_and_head_read_in_autocommit_post_in_a_transaction(probe_app):
    client = probe_app.test_client()
    assert client.get("/_probe/mode").json == {"autocommit": True}
    assert client.head("/_probe/mode").status_code == 200
    assert client.post("/_probe/mode").json == {"autocommit": False}
    # The pool hands the same connection back in transaction mode after a GET.
    assert client.get("/_probe/mode").json == {"autocommit": True}
    assert client.post("/_probe/mode").json == {"autocommit": False}


def test_a_get_that_writes_fails_and_changes_nothing(probe_app):
    client = probe_app.test_client()
    with pytest.raises(ReadOnlyRequestError, match="GET request must not write"):
        client.get("/_probe/write")
    assert db.session.get(Setting, "probe") is None
    assert client.post("/_probe/write").status_code == 200
    db.session.expire_all()
    assert db.session.get(Setting, "probe").value == "written"


def test_code_outside_a_request_writes_in_a_transaction(app):
    # CLI commands, the dispatcher and the reminders: never autocommit.
    db.session.add(Setting(key="outside", value="1"))
    assert _dbapi_autocommit() is False
    db.session.rollback()
    assert db.session.get(Setting, "outside") is None
