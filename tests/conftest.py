"""Shared fixtures.

The schema is built once per run by the real migrations (never ``create_all``), on SQLite in a
temporary file or on the database named by ``DATABASE_URL``. Every test then starts from empty
tables: rows are removed after each test.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import MetaData, func, select
from sqlalchemy import text as sql_text

from core.app import create_app
from core.config import TestConfig
from core.extensions import db
from tests import factories
from tests.smtp import SmtpServer
from tests.webhook_receiver import WebhookReceiver

_TMP = Path(tempfile.mkdtemp(prefix="portal-tests-"))


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        from core.config import database_url

        return database_url()
    return f"sqlite:///{_TMP / 'test.sqlite3'}"


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Tests keep an app context pushed (for factories and queries); without this, Flask would
    reuse it for requests, sharing ``g`` (Flask-Login's cached user, the CSRF token) and the
    database session between requests and clients, and hide real bugs.

    Responses are buffered, and so closed before ``open`` returns, as a WSGI server closes
    them once the body is sent: work the app does after the response (the mail flush) has
    happened when a test looks. ``buffered=False`` shows the state right at the response.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


def make_app(**overrides):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config["SQLALCHEMY_DATABASE_URI"] = _database_url()
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def reset_schema(app) -> None:
    """Drop everything in the test database, then build the schema with the migrations."""
    with app.app_context():
        meta = MetaData()
        meta.reflect(bind=db.engine)
        meta.drop_all(bind=db.engine)
        with db.engine.begin() as conn:
            conn.execute(sql_text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


@pytest.fixture(scope="session")
def _schema():
    app = make_app()
    reset_schema(app)
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        db.engine.dispose()
    return tables


def _empty_tables(tables: list[str]) -> None:
    # DELETE in dependency order is much faster than TRUNCATE for the handful of rows a test
    # leaves behind (TRUNCATE takes exclusive locks and rewrites every table).
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(sql_text(f"DELETE FROM {table}"))  # noqa: S608 - names from our metadata


@pytest.fixture
def app(request, _schema):
    overrides = {}
    if request.node.get_closest_marker("csrf"):
        overrides["WTF_CSRF_ENABLED"] = True
    app = make_app(**overrides)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    _empty_tables(_schema)
    db.engine.dispose()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin_client(app):
    """A test client logged in as a staff administrator."""
    factories.make_staff(email="boss@example.com")
    client = app.test_client()
    response = client.post("/admin/login", data={"email": "boss@example.com", "password": factories.PASSWORD})
    assert response.status_code == 302, response.data
    return client


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback, with the app configured to deliver to it."""
    server = SmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=5)
    yield server
    server.stop()


@pytest.fixture
def receiver(app):
    """A real webhook receiver on loopback (``tests/webhook_receiver.py``); register it with
    ``f.make_webhook_endpoint(receiver)``, which also tells it the endpoint's secret."""
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def uploads(app, tmp_path) -> Path:
    """Uploads go to a fresh folder so a test can see exactly what was written (a browser test
    requests it before ``live_server`` starts)."""
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def f(app):
    """The factory functions, as ``f.make_contact(...)``."""
    return factories


def login(client, contact_or_email, password: str = factories.PASSWORD):
    email = getattr(contact_or_email, "email", contact_or_email)
    return client.post("/login", data={"email": email, "password": password})


def run_together(target, times: int, timeout: float = 30) -> None:
    """Run ``target`` in ``times`` threads at once and wait for each (at most ``timeout`` seconds)."""
    threads = [threading.Thread(target=target) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)


def count(model, *conditions) -> int:
    """How many rows of ``model`` (that meet ``conditions``) the database holds."""
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def text(response) -> str:
    """The response's body as text."""
    return response.get_data(as_text=True)


def sent_to_login(response, path: str | None = None) -> bool:
    """True when ``response`` redirects to the login page (asking to come back to ``path``)."""
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    if (location.scheme, location.netloc, location.path) != ("", "", "/login"):
        return False
    return path is None or parse_qs(location.query) == {"next": [path]}
