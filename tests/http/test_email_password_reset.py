"""Password resets through HTTP: the same answer for known and unknown addresses (and the same
work), a reset link works once and expires after an hour, a newer password kills it, the
dispatcher turns one request into one email, and requests stay throttled."""

from __future__ import annotations

import threading

from sqlalchemy import event, func, select

from core.extensions import db
from core.mail.dispatch import dispatch_all
from core.models import PasswordResetRequest
from core.services.passwords import prepare_reset_emails
from tests.conftest import login, run_together, sent_to_login, text
from tests.factories import PASSWORD
from tests.http.helpers.email_links import (
    EXPIRED,
    NEW_PASSWORD,
    RESET_REQUESTED,
    USED,
    old_password_token,
    only_email,
    outbox,
    path_of,
    set_password_via,
)

# -- 2. password reset -------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(app, f):
    contact = f.make_contact(email="known@example.com")
    answers = []
    for address in ("unknown@example.com", "known@example.com"):
        browser = app.test_client()
        response = browser.post("/forgot-password", data={"email": address})
        following = browser.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], following.status_code, text(following)))
        if address.startswith("unknown"):
            assert outbox() == []
    assert answers[0] == answers[1]
    assert answers[0][:3] == (302, "/login", 200)
    assert RESET_REQUESTED in answers[0][3]

    email = only_email("password_reset", contact)
    assert [r.event for r in outbox()] == ["password_reset"]
    assert email.to_address == "known@example.com"
    assert email.link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/reset-password/")


def test_reset_link_works_once(app, client, f):
    contact = f.make_contact()
    client.post("/forgot-password", data={"email": contact.email})
    path = path_of(only_email("password_reset", contact).link)

    response = client.get(path)
    assert response.status_code == 200 and response.headers["Referrer-Policy"] == "no-referrer"
    response = set_password_via(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), contact, PASSWORD).status_code == 200  # the old one is gone

    again = set_password_via(client, path, "yet another passphrase")
    assert again.status_code == 400 and USED in text(again)
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302


def test_reset_link_expires_after_one_hour_not_before(client, f, monkeypatch):
    contact = f.make_contact()
    expired = old_password_token(monkeypatch, "password_reset", contact, 3600 + 5)
    response = client.get(f"/reset-password/{expired}")
    assert response.status_code == 400 and EXPIRED in text(response)
    response = set_password_via(client, f"/reset-password/{expired}")
    assert response.status_code == 400 and EXPIRED in text(response)

    recent = old_password_token(monkeypatch, "password_reset", contact, 59 * 60)
    assert client.get(f"/reset-password/{recent}").status_code == 200
    assert set_password_via(client, f"/reset-password/{recent}").status_code == 302
    assert login(client, contact, NEW_PASSWORD).status_code == 302


def test_changing_the_password_in_the_profile_kills_an_older_reset_link(app, client, f):
    contact = f.make_contact()
    client.post("/forgot-password", data={"email": contact.email})
    path = path_of(only_email("password_reset", contact).link)
    assert client.get(path).status_code == 200

    browser = app.test_client()
    login(browser, contact)
    response = browser.post(
        "/profile/password",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/profile"

    response = client.get(path)
    assert response.status_code == 400 and USED in text(response)
    response = set_password_via(client, path, "an attacker's passphrase")
    assert response.status_code == 400
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302


def test_using_a_reset_link_ends_sessions_and_sends_a_notice(app, client, f):
    contact = f.make_contact()
    logged_in = app.test_client()
    login(logged_in, contact)
    assert logged_in.get("/dashboard").status_code == 200

    client.post("/forgot-password", data={"email": contact.email})
    path = path_of(only_email("password_reset", contact).link)
    assert set_password_via(client, path).status_code == 302

    assert sent_to_login(logged_in.get("/dashboard"), "/dashboard")
    notice = only_email("password_changed", contact)
    assert notice.notification is None and notice.unsubscribe_url == ""
    assert notice.to_address == contact.email


def test_inactive_contact_or_customer_gets_no_reset_email(client, f):
    f.make_contact(email="sleeper@example.com", active=False)
    dormant = f.make_customer("Dormant Inc", active=False)
    f.make_contact(dormant, email="dormant@example.com")
    for address in ("sleeper@example.com", "dormant@example.com"):
        response = client.post("/forgot-password", data={"email": address})
        assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert outbox() == []


def _statements_of_the_request(app, client, address: str) -> tuple[list[str], object]:
    """The SQL the request for ``address`` ran up to its response (before the server closes it)."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = client.post("/forgot-password", data={"email": address}, buffered=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen, response


def test_forgot_password_does_the_same_work_for_known_and_unknown_addresses(app, f):
    contact = f.make_contact(email="known@example.com")
    runs = {}
    for address in ("nobody@example.com", "known@example.com"):
        statements, response = _statements_of_the_request(app, app.test_client(), address)
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        # The answer exists before anything depends on the address: no email, no token yet.
        assert outbox() == []
        runs[address] = statements
        response.close()  # what the server does after sending: the mail flush runs now
    assert runs["nobody@example.com"] == runs["known@example.com"]
    assert not any("contacts" in statement for statement in runs["known@example.com"])
    assert only_email("password_reset", contact).to_address == "known@example.com"
    assert [r.event for r in outbox()] == ["password_reset"]
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0


def test_reset_requests_wait_for_the_dispatcher_and_its_link_works(app, client, f):
    app.config["MAIL_FLUSH_AFTER_REQUEST"] = False  # production: a separate dispatcher delivers
    contact = f.make_contact()
    f.make_contact(email="sleeper@example.com", active=False)
    for address in (contact.email.upper(), "nobody@example.com", "sleeper@example.com"):
        assert client.post("/forgot-password", data={"email": address}).status_code == 302
    assert outbox() == []
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 3

    dispatch_all()
    assert [(r.event, r.to_address) for r in outbox()] == [("password_reset", contact.email)]
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0
    path = path_of(only_email("password_reset", contact).link)
    assert set_password_via(client, path).status_code == 302
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302
    assert set_password_via(client, path, "yet another passphrase").status_code == 400  # single use


def test_two_dispatchers_turn_one_reset_request_into_one_email(app, client, f):
    app.config["MAIL_FLUSH_AFTER_REQUEST"] = False
    contact = f.make_contact()
    client.post("/forgot-password", data={"email": contact.email})
    start, queued = threading.Barrier(3), []

    def dispatcher():
        with app.app_context():
            start.wait()
            queued.append(prepare_reset_emails())
            db.session.remove()

    run_together(dispatcher, 3)
    assert sorted(queued) == [0, 0, 1]
    only_email("password_reset", contact)


def test_reset_requests_stay_throttled_per_address_and_per_ip(app, f):
    contact = f.make_contact()
    statuses = []
    for index in range(6):  # one address from six clients: the per-account limit (5 a minute)
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.1.0.{index}"
        statuses.append(browser.post("/forgot-password", data={"email": contact.email}).status_code)
    assert statuses == [302] * 5 + [429]

    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    statuses = [browser.post("/forgot-password", data={"email": f"x{i}@example.com"}).status_code for i in range(4)]
    assert statuses == [302, 302, 302, 429]
