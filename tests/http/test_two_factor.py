"""Optional TOTP two-factor login for contacts and staff, with single-use recovery codes."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from tests.conftest import login
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
    response = client.post("/login/verify", data={"code": pyotp.TOTP(secret).now()})
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
    client.post("/admin/login/verify", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/admin/customers").status_code == 200


def test_a_contacts_pending_login_cannot_open_the_staff_verify_page(app, client, f):
    contact = f.make_contact()
    login(client, contact)
    enable_for(client, "/profile/two-factor")
    fresh = app.test_client()
    login(fresh, contact)
    assert fresh.get("/admin/login/verify").location == "/admin/login"
