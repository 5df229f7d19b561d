"""Optional TOTP two-factor login for contacts and staff, with single-use recovery codes."""

from __future__ import annotations

import re
import threading
import time

import pyotp
from sqlalchemy import select

from core import twofactor
from core.extensions import db
from core.models import AuditEntry, Contact
from tests.conftest import login, run_together
from tests.factories import PASSWORD


def enable_for(client, url: str) -> tuple[str, list[str]]:
    page = client.get(url).get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post(url, data={"enable-code": "000000"}).get_data(as_text=True)
    assert "That code is not right" in wrong
    done = client.post(url, data={"enable-code": pyotp.TOTP(secret).now()}).get_data(as_text=True)
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", done)
    assert len(codes) == 10
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next time step: the current one may be used up (by enabling, or a login)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_contact_enables_two_factor_then_needs_a_code(app, client, f):
    contact = f.make_contact()
    login(client, contact)
    secret, codes = enable_for(client, "/profile/two-factor")
    db.session.expire_all()
    assert contact.totp_secret == secret
    client.post("/logout")

    response = login(client, contact)
    assert response.location == "/login/verify"
    assert client.get("/dashboard").status_code == 302  # not logged in yet
    assert "That code is not right" in client.post("/login/verify", data={"code": "123456"}).get_data(as_text=True)
    response = client.post("/login/verify", data={"code": next_code(secret)})
    assert response.status_code == 302 and response.location == "/dashboard"
    assert client.get("/dashboard").status_code == 200

    # A recovery code works once.
    fresh = app.test_client()
    login(fresh, contact)
    assert fresh.post("/login/verify", data={"code": codes[0]}).location == "/dashboard"
    again = app.test_client()
    login(again, contact)
    assert again.post("/login/verify", data={"code": codes[0]}).status_code == 200
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "twofactor.recovery_code_used"))


def test_verify_page_without_a_password_step_sends_to_login(client):
    assert client.get("/login/verify").location == "/login"
    assert client.post("/login/verify", data={"code": "123456"}).location == "/login"


def _next_code(secret: str) -> str:
    """A valid code of the next time step: not the one just used to turn two-factor login on."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_disable_needs_the_password_and_a_code(client, f):
    contact = f.make_contact()
    login(client, contact)
    secret, codes = enable_for(client, "/profile/two-factor")
    page = client.get("/profile/two-factor").get_data(as_text=True)
    assert 'name="disable-password"' in page and 'name="disable-code"' in page
    for data, message in (
        ({"disable-password": PASSWORD}, "Enter your password and a code"),
        ({"disable-password": PASSWORD, "disable-code": "000000"}, "That code is not right"),
        ({"disable-password": "wrong password", "disable-code": codes[0]}, "Your password is not correct"),
    ):
        response = client.post("/profile/two-factor/disable", data=data, follow_redirects=True)
        assert message in response.get_data(as_text=True)
        db.session.expire_all()
        assert contact.totp_secret is not None
    # The wrong password did not use the recovery code up: it turns two-factor login off.
    client.post("/profile/two-factor/disable", data={"disable-password": PASSWORD, "disable-code": codes[0]})
    db.session.expire_all()
    assert contact.totp_secret is None
    assert login(client, contact).location == "/dashboard"


def test_staff_disable_two_factor_with_a_current_code(app, admin_client):
    from core.models import StaffUser

    secret, _codes = enable_for(admin_client, "/admin/account/two-factor")
    admin_client.post("/admin/account/two-factor/disable", data={"disable-password": PASSWORD})
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "boss@example.com"))
    assert staff.totp_secret is not None
    admin_client.post(
        "/admin/account/two-factor/disable", data={"disable-password": PASSWORD, "disable-code": _next_code(secret)}
    )
    db.session.expire_all()
    assert staff.totp_secret is None


def test_staff_two_factor(app, admin_client, f):
    secret, _ = enable_for(admin_client, "/admin/account/two-factor")
    client = app.test_client()
    response = client.post("/admin/login", data={"email": "boss@example.com", "password": PASSWORD})
    assert response.location == "/admin/login/verify"
    assert client.get("/admin/customers").status_code == 302
    client.post("/admin/login/verify", data={"code": next_code(secret)})
    assert client.get("/admin/customers").status_code == 200


def test_a_contacts_pending_login_cannot_open_the_staff_verify_page(app, client, f):
    contact = f.make_contact()
    login(client, contact)
    enable_for(client, "/profile/two-factor")
    fresh = app.test_client()
    login(fresh, contact)
    assert fresh.get("/admin/login/verify").location == "/admin/login"


# -- throttling of the second step: per pending user and per client, never global ----------------


def with_two_factor(user) -> str:
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    return user.totp_secret


def from_ip(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_anonymous_code_posts_do_not_block_anyone_elses_second_step(app, f):
    contact, staff = f.make_contact(), f.make_staff(email="second@example.com")
    contact_secret, staff_secret = with_two_factor(contact), with_two_factor(staff)
    attacker = from_ip(app, "10.0.0.66")
    answers = [attacker.post(url, data={"code": "123456"}) for url in ("/login/verify", "/admin/login/verify") * 6]
    assert {r.status_code for r in answers} <= {302, 429}

    browser = from_ip(app, "10.0.0.1")
    assert login(browser, contact).location == "/login/verify"
    assert browser.post("/login/verify", data={"code": pyotp.TOTP(contact_secret).now()}).location == "/dashboard"
    desk = from_ip(app, "10.0.0.2")
    desk.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    response = desk.post("/admin/login/verify", data={"code": pyotp.TOTP(staff_secret).now()})
    assert response.status_code == 302 and desk.get("/admin/customers").status_code == 200


def test_one_users_wrong_codes_do_not_block_another_users_second_step(app, f):
    alice, bob = f.make_contact(), f.make_contact()
    with_two_factor(alice)
    bob_secret = with_two_factor(bob)
    guesser = from_ip(app, "10.0.0.7")
    login(guesser, alice)
    statuses = [guesser.post("/login/verify", data={"code": "000000"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]

    browser = from_ip(app, "10.0.0.8")
    login(browser, bob)
    assert browser.post("/login/verify", data={"code": pyotp.TOTP(bob_secret).now()}).location == "/dashboard"


def test_a_users_own_wrong_codes_throttle_its_second_step_in_every_session(app, f):
    contact = f.make_contact()
    secret = with_two_factor(contact)
    guesser = from_ip(app, "10.0.0.9")
    login(guesser, contact)
    for _ in range(5):
        assert guesser.post("/login/verify", data={"code": "000000"}).status_code == 200
    # A new session from another address is still the same pending user: no fresh five guesses.
    other = from_ip(app, "10.0.0.10")
    assert login(other, contact).location == "/login/verify"
    assert other.post("/login/verify", data={"code": pyotp.TOTP(secret).now()}).status_code == 429


def test_staff_wrong_codes_are_throttled_per_staff_member(app, f):
    staff, colleague = f.make_staff(email="one@example.com"), f.make_staff(email="two@example.com")
    with_two_factor(staff)
    colleague_secret = with_two_factor(colleague)
    guesser = from_ip(app, "10.0.0.11")
    guesser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    statuses = [guesser.post("/admin/login/verify", data={"code": "000000"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    desk = from_ip(app, "10.0.0.12")
    desk.post("/admin/login", data={"email": colleague.email, "password": PASSWORD})
    assert desk.post("/admin/login/verify", data={"code": pyotp.TOTP(colleague_secret).now()}).status_code == 302


# -- a TOTP code works once ---------------------------------------------------------------------


def test_a_contacts_code_is_refused_the_second_time(app, f):
    contact = f.make_contact()
    secret = with_two_factor(contact)
    code = pyotp.TOTP(secret).now()
    first = app.test_client()
    login(first, contact)
    assert first.post("/login/verify", data={"code": code}).location == "/dashboard"

    replay = app.test_client()
    login(replay, contact)
    response = replay.post("/login/verify", data={"code": code})
    assert response.status_code == 200 and "That code is not right" in response.get_data(as_text=True)
    assert replay.get("/dashboard").status_code == 302
    # An older code (the previous step, still inside the window) is refused as well...
    assert replay.post("/login/verify", data={"code": pyotp.TOTP(secret).at(time.time() - 30)}).status_code == 200
    # ...and the next code works.
    assert replay.post("/login/verify", data={"code": next_code(secret)}).location == "/dashboard"


def test_a_staff_members_code_is_refused_the_second_time(app, f):
    staff = f.make_staff(email="replay@example.com")
    secret = with_two_factor(staff)
    code = pyotp.TOTP(secret).now()
    for expected in (302, 200):
        desk = app.test_client()
        desk.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
        assert desk.post("/admin/login/verify", data={"code": code}).status_code == expected


def test_two_simultaneous_checks_of_one_code_accept_it_once(app, f):
    contact = f.make_contact()
    secret = with_two_factor(contact)
    code, contact_id = pyotp.TOTP(secret).now(), contact.id
    start, results = threading.Barrier(4), []

    def check():
        with app.app_context():
            user = db.session.get(Contact, contact_id)
            start.wait()
            results.append(twofactor.verify(user, code))
            db.session.remove()

    run_together(check, 4)
    assert sorted(results) == [False, False, False, True]
    db.session.expire_all()
    assert db.session.get(Contact, contact_id).totp_last_step is not None
