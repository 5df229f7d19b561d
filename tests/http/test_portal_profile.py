"""The contact's own profile: name and phone, the password change (and the sessions it ends),
fields a contact may not set, and too long values."""

from __future__ import annotations

import pytest

from core.models import Contact
from tests import factories
from tests.conftest import login, sent_to_login
from tests.http.helpers.portal_session import _fresh, _location

NEW_PASSWORD = "a brand new passphrase"


# -- own profile -----------------------------------------------------------------------------


def _profile_form(contact, **changes):
    form = {
        "profile-first_name": contact.first_name,
        "profile-last_name": contact.last_name,
        "profile-phone": contact.phone,
    }
    form.update(changes)
    return form


def _password_form(current, new, confirm=None):
    return {
        "password-current_password": current,
        "password-new_password": new,
        "password-confirm": new if confirm is None else confirm,
    }


def test_contact_changes_its_name_and_phone(client, f):
    contact = f.make_contact(first_name="Old", last_name="Name")
    login(client, contact)
    response = client.post(
        "/profile",
        data={"profile-first_name": " Ada ", "profile-last_name": "Lovelace", "profile-phone": "+44 20 7946 0000"},
    )
    assert (response.status_code, _location(response)) == (302, "/profile")
    _fresh(contact)
    assert (contact.first_name, contact.last_name, contact.phone) == ("Ada", "Lovelace", "+44 20 7946 0000")
    assert "Ada Lovelace" in client.get("/profile").get_data(as_text=True)


def _snapshot(contact: Contact) -> dict:
    _fresh(contact)
    return {
        "customer_id": contact.customer_id,
        "email": contact.email,
        "is_primary": contact.is_primary,
        "active": contact.active,
        "permissions": contact.permissions,
        "notifications": contact.notifications,
        "password_hash": contact.password_hash,
        "position": contact.position,
    }


def test_profile_ignores_fields_a_contact_may_not_set(client, f):
    customer, other = f.make_customer(), f.make_customer()
    f.make_contact(customer)  # the primary contact
    contact = f.make_contact(customer, permissions={"support"}, notifications={"ticket"}, position="Buyer")
    login(client, contact)
    before = _snapshot(contact)
    version = contact.version
    extra = {
        "customer_id": other.id,
        "email": "taken-over@example.com",
        "is_primary": "y",
        "active": "n",
        "perm_invoices": "y",
        "permissions": "invoices",
        "position": "CEO",
        "version": "999",
        "password_hash": "x",
    }
    form = _profile_form(contact, **{"profile-first_name": "Changed"})
    form.update(extra)
    form.update({f"profile-{name}": value for name, value in extra.items()})

    response = client.post("/profile", data=form)

    assert (response.status_code, _location(response)) == (302, "/profile")
    assert _snapshot(contact) == before
    assert contact.first_name == "Changed"
    assert contact.version == version + 1  # the ORM's own bump for the name change, not the posted 999
    assert client.get("/invoices").status_code == 403


def test_password_change_needs_the_current_password(client, f, new_client):
    contact = f.make_contact()
    login(client, contact)
    old_hash = _fresh(contact).password_hash

    response = client.post("/profile/password", data=_password_form("not my password", NEW_PASSWORD))

    assert response.status_code == 200
    assert "Your current password is not correct." in response.get_data(as_text=True)
    assert _fresh(contact).password_hash == old_hash
    assert _location(login(new_client(), contact)) == "/dashboard"
    assert login(new_client(), contact, NEW_PASSWORD).status_code == 200


def test_new_password_works_and_ends_other_sessions(client, f, new_client):
    contact = f.make_contact()
    login(client, contact)
    elsewhere = new_client()
    login(elsewhere, contact)
    assert elsewhere.get("/dashboard").status_code == 200

    # Regression: login_user(current_user) once stored the LocalProxy in g, and the next
    # current_user access (the after_request hook) recursed forever: a 500 after the commit.
    response = client.post("/profile/password", data=_password_form(factories.PASSWORD, NEW_PASSWORD))

    assert (response.status_code, _location(response)) == (302, "/profile")
    assert client.get("/profile").status_code == 200  # this session goes on
    assert sent_to_login(elsewhere.get("/dashboard"), "/dashboard")  # the others end
    assert _location(login(new_client(), contact, NEW_PASSWORD)) == "/dashboard"
    assert login(new_client(), contact, factories.PASSWORD).status_code == 200


def test_password_change_refuses_a_mismatched_confirmation(client, f):
    contact = f.make_contact()
    login(client, contact)
    old_hash = _fresh(contact).password_hash
    response = client.post(
        "/profile/password", data=_password_form(factories.PASSWORD, NEW_PASSWORD, "something else entirely")
    )
    assert response.status_code == 200
    assert "The passwords do not match." in response.get_data(as_text=True)
    assert _fresh(contact).password_hash == old_hash


TOO_LONG = "x" * 10_000


@pytest.mark.parametrize("field", ["profile-first_name", "profile-last_name", "profile-phone"])
def test_too_long_profile_value_is_a_form_error(client, f, field):
    contact = f.make_contact(first_name="Keep", last_name="Me")
    login(client, contact)
    before = (contact.first_name, contact.last_name, contact.phone)

    response = client.post("/profile", data=_profile_form(contact, **{field: TOO_LONG}))

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "is-invalid" in body
    assert "longer than" in body
    _fresh(contact)
    assert (contact.first_name, contact.last_name, contact.phone) == before


@pytest.mark.parametrize("field", ["password-current_password", "password-new_password"])
def test_too_long_password_is_a_form_error(client, f, field):
    contact = f.make_contact()
    login(client, contact)
    old_hash = _fresh(contact).password_hash
    form = _password_form(factories.PASSWORD, NEW_PASSWORD)
    form[field] = TOO_LONG
    if field == "password-new_password":
        form["password-confirm"] = TOO_LONG

    response = client.post("/profile/password", data=form)

    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert _fresh(contact).password_hash == old_hash
