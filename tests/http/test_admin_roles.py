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
    assert 'name="password"' not in page and 'name="active"' not in page and 'name="is_primary"' not in page
    assert clerk.post(f"/admin/contacts/{contact.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert contact.first_name == "Renamed"  # the clerk may edit names and notification toggles ...
    assert contact.permissions == {"invoices"} and contact.notifications == set()  # ... not access
    assert contact.active and contact.is_primary

    form["version"] = contact.version
    admin_client.post(f"/admin/contacts/{contact.id}/edit", data=form)
    db.session.expire_all()
    assert contact.permissions == {"projects", "support"}
    clerks, admins = _audit("contact.access_changed")
    assert clerks.actor_name == "Clerk" and '"notifications": {"after": [], "before": ["invoice"]}' in clerks.details
    assert '"before": ["invoices"]' in admins.details and admins.actor_type == "staff"


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
    assert 'data-testid="impersonation-banner"' in page and contact.full_name in page and "View only" in page
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


# -- who may change a contact's access ------------------------------------------------------------


def _audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def _contact_form(contact, **extra) -> dict:
    return {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "version": contact.version,
        **extra,
    }


def test_clerks_cannot_set_a_password_or_change_status_or_primary_in_the_form(app, f):
    from core.models import Contact, OutboxEmail

    customer = f.make_customer()
    primary = f.make_contact(customer)
    contact = f.make_contact(customer, permissions={"invoices"})
    password_hash = contact.password_hash
    clerk = staff_client(app, is_admin=False)
    for extra in (
        {"access": "password", "password": "a brand new long phrase"},
        {"active": "y", "perm_invoices": "y", "access": "password", "password": "a brand new long phrase"},
    ):
        response = clerk.post(
            f"/admin/contacts/{contact.id}/edit", data=_contact_form(contact, **extra), follow_redirects=True
        )
        assert "Only administrators can change a contact&#39;s permissions" in response.get_data(as_text=True)
    db.session.expire_all()
    assert contact.password_hash == password_hash
    # A clerk's form without the hidden fields changes neither status nor primary flag.
    clerk.post(f"/admin/contacts/{primary.id}/edit", data=_contact_form(primary, first_name="Prim"))
    db.session.expire_all()
    assert primary.first_name == "Prim" and primary.active and primary.is_primary
    # Creating: defaults only, no password, never primary.
    new = {"first_name": "New", "last_name": "One", "email": "new.one@example.com", "is_primary": "y"}
    with_password = {**new, "access": "password", "password": "a brand new long phrase"}
    clerk.post(f"/admin/customers/{customer.id}/contacts/new", data=with_password)
    assert db.session.scalar(select(Contact).where(Contact.email == "new.one@example.com")) is None
    clerk.post(f"/admin/customers/{customer.id}/contacts/new", data=new)
    created = db.session.scalar(select(Contact).where(Contact.email == "new.one@example.com"))
    assert created is not None and not created.is_primary and created.password_hash is None
    assert not db.session.scalars(select(OutboxEmail).where(OutboxEmail.event == "password_set_by_staff")).all()
    assert [e.actor_name for e in _audit("contact.created")] == ["Clerk"]


def test_an_administrator_setting_a_password_is_audited_and_emailed(app, admin_client, f):
    from core.models import OutboxEmail

    contact = f.make_contact(language="de")
    token = contact.session_token
    response = admin_client.post(
        f"/admin/contacts/{contact.id}/edit",
        data=_contact_form(
            contact, access="password", password="a brand new long phrase", active="y", is_primary="y", language="de"
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert contact.session_token != token  # the contact's sessions end
    (entry,) = _audit("contact.password_set_by_staff")
    assert entry.actor_type == "staff" and entry.target_id == contact.id
    assert "brand new" not in entry.details and "password_hash" not in entry.details
    (email,) = db.session.scalars(select(OutboxEmail).where(OutboxEmail.event == "password_set_by_staff")).all()
    assert email.to_address == contact.email and "brand new" not in email.text_body
    assert "Passwort" in email.subject  # in the contact's language


@pytest.mark.parametrize("action", ["activate", "deactivate", "make-primary", "delete"])
def test_clerks_cannot_change_a_contacts_status_primary_flag_or_existence(app, f, action):
    from core.models import Contact

    customer = f.make_customer()
    f.make_contact(customer)
    contact = f.make_contact(customer, active=action != "activate")
    clerk = staff_client(app, is_admin=False)
    state = (contact.active, contact.is_primary)
    assert clerk.post(f"/admin/contacts/{contact.id}/{action}").status_code == 403
    db.session.expire_all()
    assert db.session.get(Contact, contact.id) is not None and (contact.active, contact.is_primary) == state
    page = clerk.get(f"/admin/customers/{customer.id}/contacts").get_data(as_text=True)
    assert f"/admin/contacts/{contact.id}/{action}" not in page
    assert f"/admin/contacts/{contact.id}/invite" in page  # clerks may still send the invitation


def test_administrators_changes_of_status_and_primary_flag_and_deletion_are_audited(app, admin_client, f):
    customer = f.make_customer()
    first = f.make_contact(customer)
    other = f.make_contact(customer)
    admin_client.post(f"/admin/contacts/{other.id}/deactivate")
    admin_client.post(f"/admin/contacts/{other.id}/activate")
    admin_client.post(f"/admin/contacts/{other.id}/make-primary")
    first_email = first.email
    admin_client.post(f"/admin/contacts/{first.id}/delete")
    status = _audit("contact.status_changed")
    assert ['"after": false, "before": true' in e.details for e in status] == [True, False]
    assert '"after": true, "before": false' in status[1].details
    (primary,) = _audit("contact.primary_changed")
    assert first_email in primary.details and other.email in primary.details
    (deleted,) = _audit("contact.deleted")
    assert first_email in deleted.details and deleted.target_id is not None
    for entry in (*status, primary, deleted):
        assert (entry.actor_type, entry.actor_name) == ("staff", "Staff Member") and entry.created_at is not None
