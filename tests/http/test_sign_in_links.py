"""Sign-in links through HTTP (issue 18): asked for on the login page, the same answer and the
same work for every address, throttled; the emailed link shows "Continue as ..." and signs in
only by its POST, once, within 15 minutes, while it is the contact's newest link and its
password state and access are unchanged; it lands on a safe page, still asks for the second
factor, and the administrators' setting switches it all off."""

from __future__ import annotations

import re
import threading
import time
from types import SimpleNamespace

import itsdangerous.timed
import pyotp
from sqlalchemy import event, select

from core.extensions import db
from core.models import AuditEntry, SignInLinkRequest
from core.services.settings import SIGN_IN_LINKS, set_settings
from core.services.sign_in_links import prepare_sign_in_link_emails, request_sign_in_link
from core.tokens import make_sign_in_token
from tests.conftest import count, login, make_app, run_together, sent_to_login, text
from tests.factories import PASSWORD
from tests.http.helpers.email_links import EXPIRED, NEW_PASSWORD, USED, fresh, only_email, outbox, path_of

LINK_REQUESTED = "If an account uses this address, we have sent it an email with a sign-in link."
NOT_VALID = "This link is not valid"
BUTTON = "Email me a sign-in link"


def ask(client, email: str, next_path: str = ""):
    return client.post("/login/link", data={"email": email, "next": next_path})


def link_path(client, contact, next_path: str = "") -> str:
    """Ask for a link for ``contact`` and return the path of the newest one emailed."""
    assert ask(client, contact.email, next_path).status_code == 302
    return path_of(outbox("sign_in_link", contact)[-1].link)


def confirm(client, path: str):
    return client.post(path, data={})


def signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


def test_asking_answers_the_same_for_known_and_unknown_addresses(app, f):
    contact = f.make_contact(email="known@example.com")
    answers = []
    for address in ("unknown@example.com", "known@example.com"):
        browser = app.test_client()
        response = ask(browser, address, "/invoices")
        following = browser.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], following.status_code, text(following)))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, "/login?next=/invoices") and LINK_REQUESTED in answers[0][3]
    email = only_email("sign_in_link", contact)
    assert [r.event for r in outbox()] == ["sign_in_link"]
    assert email.link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/login/link/")
    assert "15 minutes" in email.text_body and email.link in email.text_body and email.link in email.html_body
    sent = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.link_sent")).all()
    assert [(entry.target_id, entry.actor_type) for entry in sent] == [(contact.id, "system")]


def _statements_of_the_request(app, address: str) -> tuple[list[str], object]:
    """The SQL that asking for ``address`` ran up to its response (before the server closes it)."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = app.test_client().post("/login/link", data={"email": address}, buffered=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen, response


def test_asking_does_the_same_work_for_known_and_unknown_addresses(app, f):
    # The response time depends only on this work: the address is looked up after the response.
    contact = f.make_contact(email="known@example.com")
    runs = {}
    for address in ("nobody@example.com", "known@example.com"):
        statements, response = _statements_of_the_request(app, address)
        assert response.status_code == 302 and outbox() == []  # no token, no email yet
        runs[address] = statements
        response.close()  # what the server does after sending: the mail flush runs now
    assert runs["nobody@example.com"] == runs["known@example.com"]
    assert not any("FROM contacts" in statement for statement in runs["known@example.com"])
    assert only_email("sign_in_link", contact).to_address == "known@example.com"
    assert count(SignInLinkRequest) == 0


def test_opening_the_link_never_signs_in_its_post_does_once(app, client, f):
    contact = f.make_contact(first_name="Anna", last_name="Schmidt")
    path = link_path(app.test_client(), contact, "/invoices")

    for _ in range(2):  # a mail scanner fetching the link, then the person
        page = client.get(path)
        assert page.status_code == 200 and "Continue as Anna Schmidt" in text(page)
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert not signed_in(client)
    assert client.head(path).status_code == 200 and not signed_in(client)

    response = confirm(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/invoices"
    assert signed_in(client)
    assert fresh(contact).last_login is not None and contact.sign_in_link_nonce is None
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.signed_in_with_link")).all()
    assert [(entry.actor_type, entry.actor_id) for entry in audit] == [("contact", contact.id)]

    other = app.test_client()
    for response in (other.get(path), confirm(other, path)):
        assert response.status_code == 400 and USED in text(response)
    assert not signed_in(other)


def test_two_tabs_racing_with_one_link_sign_in_once(app, f):
    contact = f.make_contact()
    path = link_path(app.test_client(), contact)
    tabs = [app.test_client() for _ in range(3)]
    for tab in tabs:
        assert tab.get(path).status_code == 200
    start, statuses = threading.Barrier(3), []

    def post(tab):
        start.wait()
        statuses.append(confirm(tab, path).status_code)

    threads = [threading.Thread(target=post, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [302, 400, 400]
    assert sum(signed_in(tab) for tab in tabs) == 1


def _old_token(monkeypatch, contact, age_seconds: int, next_path: str = "/dashboard") -> str:
    """A token for the contact's current link nonce, made ``age_seconds`` ago (itsdangerous reads
    the clock when signing, as in the password-reset tests)."""
    past = time.time() - age_seconds
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: past))
        return make_sign_in_token(fresh(contact), contact.sign_in_link_nonce, next_path)


def test_a_link_expires_after_15_minutes_not_before(app, client, f, monkeypatch):
    contact = f.make_contact()
    link_path(app.test_client(), contact)
    expired = _old_token(monkeypatch, contact, 15 * 60 + 5)
    for response in (client.get(f"/login/link/{expired}"), confirm(client, f"/login/link/{expired}")):
        assert response.status_code == 400 and EXPIRED in text(response)
    assert not signed_in(client)

    recent = _old_token(monkeypatch, contact, 14 * 60)
    assert client.get(f"/login/link/{recent}").status_code == 200
    assert confirm(client, f"/login/link/{recent}").headers["Location"] == "/dashboard"
    assert signed_in(client)


def test_a_newer_link_kills_the_older_ones(app, client, f):
    contact = f.make_contact()
    asker = app.test_client()
    first, second = link_path(asker, contact), link_path(asker, contact)
    assert first != second
    response = confirm(client, first)
    assert response.status_code == 400 and USED in text(response) and not signed_in(client)
    assert confirm(client, second).status_code == 302 and signed_in(client)


def test_a_password_change_kills_the_link(app, client, f):
    contact = f.make_contact()
    path = link_path(app.test_client(), contact)
    owner = app.test_client()
    login(owner, contact)
    response = owner.post(
        "/profile/password",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    for response in (client.get(path), confirm(client, path)):
        assert response.status_code == 400 and USED in text(response)
    assert not signed_in(client)


def test_a_deactivated_contact_or_customer_is_refused(app, client, f):
    contact = f.make_contact()
    path = link_path(app.test_client(), contact)
    contact.active = False
    db.session.commit()
    for response in (client.get(path), confirm(client, path)):
        assert response.status_code == 400 and USED in text(response)
    assert not signed_in(client)

    f.make_contact(email="sleeper@example.com", active=False)
    dormant = f.make_customer("Dormant Inc", active=False)
    f.make_contact(dormant, email="dormant@example.com")
    for address in ("sleeper@example.com", "dormant@example.com"):
        assert ask(client, address).headers["Location"] == "/login"
    assert [r.to_address for r in outbox("sign_in_link")] == [contact.email]  # only the first


def test_the_link_lands_only_on_a_local_page(app, client, f):
    contact = f.make_contact()
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example"):
        path = link_path(app.test_client(), contact, evil)
        assert confirm(app.test_client(), path).headers["Location"] == "/dashboard"
    # Even a token signed with such a landing page (it never is) lands on the dashboard.
    link_path(app.test_client(), contact)
    token = make_sign_in_token(fresh(contact), contact.sign_in_link_nonce, "https://evil.example/")
    assert confirm(client, f"/login/link/{token}").headers["Location"] == "/dashboard"


def test_the_second_factor_is_still_asked(app, client, f):
    contact = f.make_contact()
    contact.totp_secret = pyotp.random_base32()
    db.session.commit()
    path = link_path(app.test_client(), contact, "/invoices")
    response = confirm(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login/verify"
    assert sent_to_login(client.get("/dashboard"), "/dashboard")
    response = client.post("/login/verify", data={"code": pyotp.TOTP(contact.totp_secret).now()})
    assert response.headers["Location"] == "/invoices" and signed_in(client)


def test_the_setting_off_hides_the_button_sends_nothing_and_refuses_links(app, client, f, admin_client):
    contact = f.make_contact()
    path = link_path(app.test_client(), contact)
    assert BUTTON in text(client.get("/login"))

    page = text(admin_client.get("/admin/settings"))
    assert re.search(r'<input checked [^>]*id="sign_in_links"', page)  # on until turned off
    set_settings({SIGN_IN_LINKS: "0"})
    assert BUTTON not in text(client.get("/login")) and BUTTON not in text(client.get("/login?login_hint=a@b.example"))
    response = ask(client, contact.email)
    assert response.status_code == 302 and count(SignInLinkRequest) == 0
    assert "Sign-in links are turned off" in text(client.get("/login"))
    assert len(outbox("sign_in_link", contact)) == 1  # only the one from before
    assert confirm(client, path).status_code == 400 and not signed_in(client)

    set_settings({SIGN_IN_LINKS: "1"})
    assert BUTTON in text(client.get("/login"))


def test_with_the_setting_off_the_service_neither_queues_nor_sends(app, f):
    # Each layer on its own: the page checks the setting, and so do asking and sending.
    contact = f.make_contact()
    assert request_sign_in_link(contact.email, "/invoices", "10.0.0.1") is True  # queued while on
    set_settings({SIGN_IN_LINKS: "0"})
    assert request_sign_in_link(contact.email, "/invoices", "10.0.0.1") is False
    assert count(SignInLinkRequest) == 1
    assert prepare_sign_in_link_emails() == 0 and outbox() == [] and count(SignInLinkRequest) == 0


def test_a_link_from_another_portal_instance_is_refused(app, client, f):
    contact = f.make_contact()
    path = link_path(app.test_client(), contact)
    other = make_app(SECRET_KEY="another instance's secret key, 32 bytes or more")
    with other.app_context():
        stranger = other.test_client()
        for response in (stranger.get(path), stranger.post(path, data={})):
            assert response.status_code == 400 and NOT_VALID in text(response)
        assert stranger.get("/dashboard").status_code == 302
        db.engine.dispose()
    assert confirm(client, path).status_code == 302  # still good where it was made


def test_asking_is_throttled_per_address_and_per_client(app, f):
    contact = f.make_contact()
    statuses = []
    for index in range(6):  # one address from six clients: the per-account limit (5 a minute)
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.3.0.{index}"
        statuses.append(ask(browser, contact.email).status_code)
    assert statuses == [302] * 5 + [429]

    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.4.0.1"
    assert [ask(browser, f"x{i}@example.com").status_code for i in range(4)] == [302, 302, 302, 429]


def test_the_dispatcher_turns_one_request_into_one_email(app, client, f):
    app.config["MAIL_FLUSH_AFTER_REQUEST"] = False  # production: a separate dispatcher delivers
    contact = f.make_contact()
    ask(client, contact.email)
    start, queued = threading.Barrier(3), []

    def dispatcher():
        with app.app_context():
            start.wait()
            queued.append(prepare_sign_in_link_emails())
            db.session.remove()

    run_together(dispatcher, 3)
    assert sorted(queued) == [0, 0, 1]
    assert confirm(client, path_of(only_email("sign_in_link", contact).link)).status_code == 302


def test_the_login_page_asks_for_a_link_in_one_click_and_it_returns_to_the_page(app, client, f):
    contact = f.make_contact(permissions={"invoices"})
    page = text(client.get(f"/login?next=/invoices&login_hint={contact.email}"))
    assert f'name="email" value="{contact.email}"' in page and BUTTON in page
    assert '<input type="hidden" name="next" value="/invoices">' in page
    response = ask(client, contact.email, "/invoices")  # what the button posts
    assert response.headers["Location"] == "/login?next=/invoices"
    assert confirm(client, path_of(only_email("sign_in_link", contact).link)).headers["Location"] == "/invoices"


def test_the_email_is_in_the_contacts_language_and_masked_in_the_email_log(app, admin_client, f):
    contact = f.make_contact(language="de")
    link_path(app.test_client(), contact)
    email = only_email("sign_in_link", contact)
    assert "Anmeldelink" in email.subject and "15 Minuten" in email.text_body
    page = text(admin_client.get(f"/admin/emails/{email.id}"))
    assert "/login/link/…" in page and email.link.rsplit("/", 1)[1] not in page
