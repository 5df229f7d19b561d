"""Staff roles, "log in as contact", and the two-factor requirement for staff."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from admin import ADMINISTRATORS_ONLY
from core.extensions import db
from core.models import AuditEntry, StaffUser
from core.services.accounts import create_staff
from core.services.settings import REQUIRE_STAFF_TWO_FACTOR, set_settings
from tests.factories import PASSWORD


def staff_client(app, *, is_admin: bool, email: str = "clerk@example.com"):
    create_staff(email, "Clerk", PASSWORD, is_admin=is_admin)
    client = app.test_client()
    assert client.post("/admin/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def test_administrators_only_endpoints_exist(app):
    assert set(app.view_functions) >= ADMINISTRATORS_ONLY


@pytest.mark.parametrize("url", ["/admin/settings", "/admin/audit", "/admin/staff", "/admin/departments"])
def test_staff_without_the_admin_role_get_403(app, url):
    clerk = staff_client(app, is_admin=False)
    assert clerk.get(url).status_code == 403
    assert clerk.get("/admin/customers").status_code == 200


def test_only_administrators_change_contact_access(app, admin_client, f):
    contact = f.make_contact(permissions={"invoices"}, notifications={"invoice"})
    clerk = staff_client(app, is_admin=False)
    form = {
        "first_name": "Renamed",
        "last_name": contact.last_name,
        "email": contact.email,
        "is_primary": "y",
        "active": "y",
        "version": contact.version,
        "perm_projects": "y",
        "perm_support": "y",
    }
    page = clerk.get(f"/admin/contacts/{contact.id}/edit").get_data(as_text=True)
    assert "Only administrators can change" in page
    assert clerk.post(f"/admin/contacts/{contact.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert contact.first_name == "Renamed"  # the clerk may edit names ...
    assert contact.permissions == {"invoices"} and contact.notifications == {"invoice"}  # ... not access

    form["version"] = contact.version
    admin_client.post(f"/admin/contacts/{contact.id}/edit", data=form)
    db.session.expire_all()
    assert contact.permissions == {"projects", "support"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.access_changed"))
    assert '"before": ["invoices"]' in entry.details and entry.actor_type == "staff"


def test_staff_management_keeps_one_administrator(app, admin_client):
    response = admin_client.post(
        "/admin/staff", data={"name": "New", "email": "new@example.com", "password": "password"}
    )
    assert "too common" in response.get_data(as_text=True)
    admin_client.post(
        "/admin/staff", data={"name": "New", "email": "new@example.com", "password": "a long unusual phrase"}
    )
    me = db.session.scalar(select(StaffUser).where(StaffUser.email == "boss@example.com"))
    response = admin_client.post(f"/admin/staff/{me.id}/role", data={"active": "y"}, follow_redirects=True)
    assert "at least one active administrator" in response.get_data(as_text=True)


def test_log_in_as_contact_shows_a_banner_and_returns(app, admin_client, f):
    contact = f.make_contact(permissions={"invoices"})
    last_login, password_hash, token = contact.last_login, contact.password_hash, contact.session_token
    response = admin_client.post(f"/admin/contacts/{contact.id}/login-as")
    assert response.location == "/dashboard"
    page = admin_client.get("/dashboard").get_data(as_text=True)
    assert 'data-testid="impersonation-banner"' in page and contact.full_name in page
    assert admin_client.get("/admin/customers").status_code == 302  # now a contact session

    response = admin_client.post("/return-to-admin")
    assert response.location == f"/admin/customers/{contact.customer_id}/contacts"
    assert admin_client.get("/admin/customers").status_code == 200
    db.session.expire_all()
    assert (contact.last_login, contact.password_hash, contact.session_token) == (last_login, password_hash, token)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("staff.login_as%"))).all()
    assert sorted(actions) == ["staff.login_as_contact", "staff.login_as_contact_ended"]


def test_a_plain_contact_cannot_return_to_admin_and_clerks_cannot_log_in_as(app, client, f):
    from tests.conftest import login

    contact = f.make_contact()
    login(client, contact)
    assert client.post("/return-to-admin").status_code == 403
    clerk = staff_client(app, is_admin=False)
    response = clerk.post(f"/admin/contacts/{contact.id}/login-as", follow_redirects=True)
    assert "Only administrators can log in as a contact." in response.get_data(as_text=True)


def test_logging_out_while_impersonating_keeps_the_contacts_sessions(app, admin_client, f):
    contact = f.make_contact()
    token = contact.session_token
    admin_client.post(f"/admin/contacts/{contact.id}/login-as")
    admin_client.post("/logout")
    db.session.expire_all()
    assert contact.session_token == token


def test_required_two_factor_sends_staff_to_setup(app, admin_client):
    set_settings({REQUIRE_STAFF_TWO_FACTOR: "1"})
    assert admin_client.get("/admin/customers").location == "/admin/account/two-factor"
    page = admin_client.get("/admin/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    admin_client.post("/admin/account/two-factor", data={"enable-code": pyotp.TOTP(secret).now()})
    assert admin_client.get("/admin/customers").status_code == 200
