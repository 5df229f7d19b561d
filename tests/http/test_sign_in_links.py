"""Sign-in links through HTTP (issue 18), for contacts (customer area) and staff (admin area),
one set of rules: asked for on the login page, the same answer and the same work for every
address, throttled; the emailed link shows "Continue as ..." and signs in only by its POST,
once, within 15 minutes, while it is the user's newest link and its password state and access
are unchanged; it lands on a safe page, still asks for the second factor, the administrators'
setting switches it all off for both areas, and a link of one area never signs in to the other.

Tests that hold for both areas are parametrized with ``area``; the ones about contacts alone
(a notification email's login hint, a deactivated customer) are not."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import itsdangerous.timed
import pyotp
import pytest
from sqlalchemy import event, select

from core.extensions import db
from core.models import AuditEntry, OutboxEmail, SignInLinkRequest
from core.services.settings import SIGN_IN_LINKS, set_settings
from core.services.sign_in_links import prepare_sign_in_link_emails, request_sign_in_link
from core.tokens import make_sign_in_token
from tests import factories
from tests.conftest import count, login, make_app, run_together, text
from tests.factories import PASSWORD
from tests.http.helpers.email_links import EXPIRED, NEW_PASSWORD, USED, fresh, path_of

LINK_REQUESTED = "If an account uses this address, we have sent it an email with a sign-in link."
NOT_VALID = "This link is not valid"
BUTTON = "Email me a sign-in link"


@dataclass(frozen=True)
class Area:
    """One login area as the tests see it: its URLs, its users and its email."""

    name: str  # "portal" or "admin" (the service's area)
    prefix: str  # of its URLs
    event: str  # the sign-in link email's event
    home: str  # where a link without a landing page goes
    landing: str  # a page of the area to land on
    make_user: Callable[..., object]  # (name, email, language) -> a user who may log in

    def url(self, path: str) -> str:
        return self.prefix + path

    def signed_in(self, client) -> bool:
        return client.get(self.home).status_code == 200


def _contact(name="Contact Person", email=None, language="en"):
    first, last = name.split(" ", 1)
    fields = {"email": email} if email else {}
    return factories.make_contact(first_name=first, last_name=last, language=language, **fields)


def _staff(name="Staff Person", email=None, language="en"):
    staff = factories.make_staff(email=email, name=name)
    staff.language = language
    db.session.commit()
    return staff


PORTAL = Area("portal", "", "sign_in_link", "/dashboard", "/invoices", _contact)
ADMIN = Area("admin", "/admin", "staff_sign_in_link", "/admin/customers", "/admin/emails", _staff)


@pytest.fixture(params=[PORTAL, ADMIN], ids=["contact", "staff"])
def area(request) -> Area:
    return request.param


def emails(event: str | None = None, user=None) -> list[OutboxEmail]:
    """The committed outbox rows (of ``event``, to ``user``'s address), oldest first."""
    db.session.expire_all()
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if event is not None:
        stmt = stmt.where(OutboxEmail.event == event)
    if user is not None:
        stmt = stmt.where(OutboxEmail.to_address == user.email)
    return list(db.session.scalars(stmt))


def only_email(event: str, user) -> OutboxEmail:
    rows = emails(event, user)
    assert len(rows) == 1, [(r.event, r.to_address) for r in rows]
    return rows[0]


def ask(client, area: Area, email: str, next_path: str = ""):
    return client.post(area.url("/login/link"), data={"email": email, "next": next_path})


def link_path(client, area: Area, user, next_path: str = "") -> str:
    """Ask for a link for ``user`` and return the path of the newest one emailed."""
    assert ask(client, area, user.email, next_path).status_code == 302
    return path_of(emails(area.event, user)[-1].link)


def confirm(client, path: str):
    return client.post(path, data={})


def test_asking_answers_the_same_for_known_and_unknown_addresses(app, f, area):
    user = area.make_user(email="known@example.com")
    answers = []
    for address in ("unknown@example.com", "known@example.com"):
        browser = app.test_client()
        response = ask(browser, area, address, area.landing)
        following = browser.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], following.status_code, text(following)))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, area.url(f"/login?next={area.landing}")) and LINK_REQUESTED in answers[0][3]
    email = only_email(area.event, user)
    assert [r.event for r in emails()] == [area.event]
    assert email.link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + area.url("/login/link/"))
    assert "15 minutes" in email.text_body and email.link in email.text_body and email.link in email.html_body
    sent = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.link_sent")).all()
    assert [(entry.target_type, entry.target_id, entry.actor_type) for entry in sent] == [
        (type(user).__name__, user.id, "system")
    ]


def _statements_of_the_request(app, area: Area, address: str) -> tuple[list[str], object]:
    """The SQL that asking for ``address`` ran up to its response (before the server closes it)."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = app.test_client().post(area.url("/login/link"), data={"email": address}, buffered=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen, response


def test_asking_does_the_same_work_for_known_and_unknown_addresses(app, f, area):
    # The response time depends only on this work: the address is looked up after the response.
    user = area.make_user(email="known@example.com")
    runs = {}
    for address in ("nobody@example.com", "known@example.com"):
        statements, response = _statements_of_the_request(app, area, address)
        assert response.status_code == 302 and emails() == []  # no token, no email yet
        runs[address] = statements
        response.close()  # what the server does after sending: the mail flush runs now
    assert runs["nobody@example.com"] == runs["known@example.com"]
    assert not any("FROM contacts" in s or "FROM staff_users" in s for s in runs["known@example.com"])
    assert only_email(area.event, user).to_address == "known@example.com"
    assert count(SignInLinkRequest) == 0


def test_opening_the_link_never_signs_in_its_post_does_once(app, client, f, area):
    user = area.make_user("Anna Schmidt")
    path = link_path(app.test_client(), area, user, area.landing)

    for _ in range(2):  # a mail scanner fetching the link, then the person
        page = client.get(path)
        assert page.status_code == 200 and "Continue as Anna Schmidt" in text(page)
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert not area.signed_in(client)
    assert client.head(path).status_code == 200 and not area.signed_in(client)

    response = confirm(client, path)
    assert response.status_code == 302 and response.headers["Location"] == area.landing
    assert area.signed_in(client)
    assert fresh(user).last_login is not None and user.sign_in_link_nonce is None
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.signed_in_with_link")).all()
    assert [(entry.actor_type, entry.actor_id) for entry in audit] == [(user.kind, user.id)]

    other = app.test_client()
    for response in (other.get(path), confirm(other, path)):
        assert response.status_code == 400 and USED in text(response)
    assert not area.signed_in(other)


def test_two_tabs_racing_with_one_link_sign_in_once(app, f, area):
    user = area.make_user()
    path = link_path(app.test_client(), area, user)
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
    assert sum(area.signed_in(tab) for tab in tabs) == 1


def _old_token(monkeypatch, user, age_seconds: int, next_path: str) -> str:
    """A token for the user's current link nonce, made ``age_seconds`` ago (itsdangerous reads
    the clock when signing, as in the password-reset tests)."""
    past = time.time() - age_seconds
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: past))
        return make_sign_in_token(fresh(user), user.sign_in_link_nonce, next_path)


def test_a_link_expires_after_15_minutes_not_before(app, client, f, monkeypatch, area):
    user = area.make_user()
    link_path(app.test_client(), area, user)
    expired = area.url(f"/login/link/{_old_token(monkeypatch, user, 15 * 60 + 5, area.landing)}")
    for response in (client.get(expired), confirm(client, expired)):
        assert response.status_code == 400 and EXPIRED in text(response)
    assert not area.signed_in(client)

    recent = area.url(f"/login/link/{_old_token(monkeypatch, user, 14 * 60, area.landing)}")
    assert client.get(recent).status_code == 200
    assert confirm(client, recent).headers["Location"] == area.landing
    assert area.signed_in(client)


def test_a_newer_link_kills_the_older_ones(app, client, f, area):
    user = area.make_user()
    asker = app.test_client()
    first, second = link_path(asker, area, user), link_path(asker, area, user)
    assert first != second
    response = confirm(client, first)
    assert response.status_code == 400 and USED in text(response) and not area.signed_in(client)
    assert confirm(client, second).status_code == 302 and area.signed_in(client)


def test_a_password_change_kills_the_link(app, client, f):
    contact = f.make_contact()
    path = link_path(app.test_client(), PORTAL, contact)
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
    assert not PORTAL.signed_in(client)


def test_logging_out_everywhere_kills_the_link(app, client, f, area):
    # Logging out rotates the session token, which the link is bound to with the password.
    user = area.make_user()
    path = link_path(app.test_client(), area, user)
    owner = app.test_client()
    assert owner.post(area.url("/login"), data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert owner.post(area.url("/logout")).status_code == 302
    for response in (client.get(path), confirm(client, path)):
        assert response.status_code == 400 and USED in text(response)
    assert not area.signed_in(client)


def test_a_user_who_may_no_longer_log_in_is_refused(app, client, f, area):
    user = area.make_user()
    path = link_path(app.test_client(), area, user)
    user.active = False
    db.session.commit()
    for response in (client.get(path), confirm(client, path)):
        assert response.status_code == 400 and USED in text(response)
    assert not area.signed_in(client)

    sleeper = area.make_user(email="sleeper@example.com")
    sleeper.active = False
    db.session.commit()
    assert ask(client, area, "sleeper@example.com").headers["Location"] == area.url("/login")
    assert [r.to_address for r in emails(area.event)] == [user.email]  # only the first


def test_a_contact_of_a_deactivated_customer_gets_no_link(app, client, f):
    dormant = f.make_customer("Dormant Inc", active=False)
    f.make_contact(dormant, email="dormant@example.com")
    assert ask(client, PORTAL, "dormant@example.com").headers["Location"] == "/login"
    assert emails("sign_in_link") == []


def test_the_link_lands_only_on_a_local_page(app, client, f, area):
    user = area.make_user()
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example"):
        path = link_path(app.test_client(), area, user, evil)
        assert confirm(app.test_client(), path).headers["Location"] == area.home
    # Even a token signed with such a landing page (it never is) lands on the area's start page.
    link_path(app.test_client(), area, user)
    token = make_sign_in_token(fresh(user), user.sign_in_link_nonce, "https://evil.example/")
    assert confirm(client, area.url(f"/login/link/{token}")).headers["Location"] == area.home


def test_the_second_factor_is_still_asked(app, client, f, area):
    user = area.make_user()
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    path = link_path(app.test_client(), area, user, area.landing)
    response = confirm(client, path)
    assert response.status_code == 302 and response.headers["Location"] == area.url("/login/verify")
    assert not area.signed_in(client)
    response = client.post(area.url("/login/verify"), data={"code": pyotp.TOTP(user.totp_secret).now()})
    assert response.headers["Location"] == area.landing and area.signed_in(client)


def test_the_setting_off_hides_the_button_sends_nothing_and_refuses_links(app, client, f, admin_client, area):
    user = area.make_user()
    path = link_path(app.test_client(), area, user)
    login_page = area.url("/login")
    assert BUTTON in text(client.get(login_page))

    page = text(admin_client.get("/admin/settings"))
    assert re.search(r'<input checked [^>]*id="sign_in_links"', page)  # on until turned off
    assert "Contacts and staff may sign in with a link emailed to them, on both login pages" in page
    set_settings({SIGN_IN_LINKS: "0"})
    assert BUTTON not in text(client.get(login_page))
    assert BUTTON not in text(client.get(f"{login_page}?login_hint=a@b.example"))
    response = ask(client, area, user.email)
    assert response.status_code == 302 and count(SignInLinkRequest) == 0
    assert "Sign-in links are turned off" in text(client.get(login_page))
    assert len(emails(area.event, user)) == 1  # only the one from before
    assert confirm(client, path).status_code == 400 and not area.signed_in(client)

    set_settings({SIGN_IN_LINKS: "1"})
    assert BUTTON in text(client.get(login_page))


def test_with_the_setting_off_the_service_neither_queues_nor_sends(app, f, area):
    # Each layer on its own: the page checks the setting, and so do asking and sending.
    user = area.make_user()
    assert request_sign_in_link(user.email, area.landing, "10.0.0.1", area=area.name) is True  # queued while on
    set_settings({SIGN_IN_LINKS: "0"})
    assert request_sign_in_link(user.email, area.landing, "10.0.0.1", area=area.name) is False
    assert count(SignInLinkRequest) == 1
    assert prepare_sign_in_link_emails() == 0 and emails() == [] and count(SignInLinkRequest) == 0


def test_a_link_from_another_portal_instance_is_refused(app, client, f, area):
    user = area.make_user()
    path = link_path(app.test_client(), area, user)
    other = make_app(SECRET_KEY="another instance's secret key, 32 bytes or more")
    with other.app_context():
        stranger = other.test_client()
        for response in (stranger.get(path), stranger.post(path, data={})):
            assert response.status_code == 400 and NOT_VALID in text(response)
        assert stranger.get(area.home).status_code == 302
        db.engine.dispose()
    assert confirm(client, path).status_code == 302  # still good where it was made


def test_a_link_signs_in_only_to_its_own_area(app, f):
    # One person with a contact and a staff account under the same address: each area's page
    # emails that area's link, and neither link is valid on the other area's page.
    contact = f.make_contact(first_name="Anna", last_name="Schmidt", email="anna@example.com")
    staff = f.make_staff(email="anna@example.com", name="Anna Staff")
    contact_link = link_path(app.test_client(), PORTAL, contact)
    staff_link = link_path(app.test_client(), ADMIN, staff)
    assert [e.event for e in emails(user=contact)] == ["sign_in_link", "staff_sign_in_link"]
    assert only_email("sign_in_link", contact).contact_id == contact.id
    assert only_email("staff_sign_in_link", staff).contact_id is None

    crossed = {
        "contact link on the admin page": "/admin" + contact_link,
        "staff link on the customer area's page": staff_link.removeprefix("/admin"),
    }
    for what, path in crossed.items():
        browser = app.test_client()
        for response in (browser.get(path), confirm(browser, path)):
            assert response.status_code == 400 and NOT_VALID in text(response), what
        assert not PORTAL.signed_in(browser) and not ADMIN.signed_in(browser), what

    # Refused, neither link was used up: each still signs in to its own area, and only there.
    for area, path in ((PORTAL, contact_link), (ADMIN, staff_link)):
        browser = app.test_client()
        assert confirm(browser, path).status_code == 302 and area.signed_in(browser)
        other = ADMIN if area is PORTAL else PORTAL
        assert not other.signed_in(browser)


def test_asking_is_throttled_per_address_and_per_client(app, f, area):
    user = area.make_user()
    statuses = []
    for index in range(6):  # one address from six clients: the per-account limit (5 a minute)
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.3.0.{index}"
        statuses.append(ask(browser, area, user.email).status_code)
    assert statuses == [302] * 5 + [429]

    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.4.0.1"
    assert [ask(browser, area, f"x{i}@example.com").status_code for i in range(4)] == [302, 302, 302, 429]


def test_the_dispatcher_turns_one_request_into_one_email(app, client, f, area):
    app.config["MAIL_FLUSH_AFTER_REQUEST"] = False  # production: a separate dispatcher delivers
    user = area.make_user()
    ask(client, area, user.email)
    start, queued = threading.Barrier(3), []

    def dispatcher():
        with app.app_context():
            start.wait()
            queued.append(prepare_sign_in_link_emails())
            db.session.remove()

    run_together(dispatcher, 3)
    assert sorted(queued) == [0, 0, 1]
    assert confirm(client, path_of(only_email(area.event, user).link)).status_code == 302


def test_the_login_page_asks_for_a_link_in_one_click_and_it_returns_to_the_page(app, client, f):
    contact = f.make_contact(permissions={"invoices"})
    page = text(client.get(f"/login?next=/invoices&login_hint={contact.email}"))
    assert f'name="email" value="{contact.email}"' in page and BUTTON in page
    assert '<input type="hidden" name="next" value="/invoices">' in page
    response = ask(client, PORTAL, contact.email, "/invoices")  # what the button posts
    assert response.headers["Location"] == "/login?next=/invoices"
    assert confirm(client, path_of(only_email("sign_in_link", contact).link)).headers["Location"] == "/invoices"


def test_the_staff_login_page_offers_a_link_that_returns_to_the_page(app, client, f):
    staff = f.make_staff()
    page = text(client.get("/admin/login?next=/admin/emails"))
    assert BUTTON in page and 'href="/admin/login/link?next=/admin/emails"' in page
    form = text(client.get("/admin/login/link?next=/admin/emails"))
    assert '<input id="next" name="next" type="hidden" value="/admin/emails">' in form
    response = ask(client, ADMIN, staff.email, "/admin/emails")
    assert response.headers["Location"] == "/admin/login?next=/admin/emails"
    path = path_of(only_email("staff_sign_in_link", staff).link)
    assert confirm(client, path).headers["Location"] == "/admin/emails"


@pytest.mark.parametrize(
    ("area", "subject"),
    [(PORTAL, "Ihr Anmeldelink für"), (ADMIN, "Ihr Anmeldelink für den Adminbereich")],
    ids=["contact", "staff"],
)
def test_the_email_is_in_the_users_language_and_masked_in_the_email_log(app, admin_client, f, area, subject):
    user = area.make_user(language="de")
    link_path(app.test_client(), area, user)
    email = only_email(area.event, user)
    assert email.subject.startswith(subject) and "15 Minuten" in email.text_body
    page = text(admin_client.get(f"/admin/emails/{email.id}"))
    assert area.url("/login/link/…") in page and email.link.rsplit("/", 1)[1] not in page
