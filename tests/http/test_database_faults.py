"""Web requests while the database is unreachable or drops its connections.

Real faults only: a PostgreSQL address that refuses connections (nothing listens on the port),
and the app's PostgreSQL backends terminated with ``pg_terminate_backend`` from another
connection, as a database restart or failover does. The latter needs the suite on PostgreSQL
(``DATABASE_URL=postgresql://...``) and is skipped on SQLite.
"""

from __future__ import annotations

import io
import logging
import socket

import psycopg
import pytest
from sqlalchemy import select

from core import logs
from core.extensions import db
from core.models import Contact
from tests.conftest import login, make_app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_session(source, target) -> None:
    cookie = source.get_cookie("session")
    assert cookie is not None
    target.set_cookie("session", cookie.value)


@pytest.fixture
def unreachable_app():
    """The same app with a database that refuses every connection, run as in production
    (exceptions go to the error pages, not to the test)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/portal"
    app = make_app(SQLALCHEMY_DATABASE_URI=url, PROPAGATE_EXCEPTIONS=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def _assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Temporarily unavailable" in page
    assert "Internal Server Error" not in page


def test_refused_database_gives_the_apps_503_page(client, f, unreachable_app):
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer)
    assert login(client, contact).status_code == 302
    down = unreachable_app.test_client()
    _copy_session(client, down)

    _assert_unavailable_page(down.get("/invoices"))
    _assert_unavailable_page(down.get("/"))
    _assert_unavailable_page(down.post("/login", data={"email": contact.email, "password": "whatever-123"}))


def test_refused_database_gives_the_apps_503_page_in_the_admin_area(admin_client, unreachable_app):
    down = unreachable_app.test_client()
    _copy_session(admin_client, down)

    _assert_unavailable_page(down.get("/admin/customers"))
    # The user of a 404 page is loaded before the error page (for its menu): 503 too.
    _assert_unavailable_page(down.get("/admin/no-such-page"))


# -- PostgreSQL: backends terminated under the app -------------------------------------------------


@pytest.fixture
def terminate(app):
    """A function that terminates every other backend of the test database, as a restart does."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgresql://...)")
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def run() -> int:
        # The test's own session gives its connection back first: only the pool's idle
        # connections (the ones the app's requests use) are cut, as in a restart between requests.
        db.session.remove()
        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return len(rows)

    return run


@pytest.fixture
def contact_client(client, f):
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer, first_name="Mia")
    assert login(client, contact).status_code == 302
    return client, contact


def test_get_is_retried_once_after_the_backends_were_terminated(app, contact_client, terminate):
    client, _ = contact_client
    assert client.get("/invoices").status_code == 200  # the pool now holds open connections
    assert terminate() >= 1
    stream = io.StringIO()
    handler = logs.make_handler(stream, fmt="text")
    logging.getLogger().addHandler(handler)
    try:
        response = client.get("/invoices")
    finally:
        logging.getLogger().removeHandler(handler)

    assert response.status_code == 200
    # One request, one id, also across the retry.
    retry_lines = [line for line in stream.getvalue().splitlines() if "retrying once" in line]
    assert retry_lines and all(f"request_id={response.headers['X-Request-ID']}" in line for line in retry_lines)
    assert client.get("/").status_code in (200, 302)


def test_post_after_the_backends_were_terminated_gets_503_then_works(app, contact_client, terminate):
    client, contact = contact_client
    contact_id = contact.id
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.get("/profile").status_code == 200
    assert terminate() >= 1

    refused = client.post("/language", data={"language": "de", "next": "/profile"})

    _assert_unavailable_page(refused)
    # A POST is not retried by the app; the user's own retry reaches a healthy pool.
    again = client.post("/language", data={"language": "de", "next": "/profile"})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Contact.language).where(Contact.id == contact_id)) == "de"
