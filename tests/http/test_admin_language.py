"""Languages set in the admin area: a new staff member's, and a contact's (its invitation and emails)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Contact, StaffUser
from core.services import ServiceError
from core.services.contacts import ContactData, update_contact
from tests import factories


def staff_form(**overrides) -> dict:
    form = {"name": "Greta", "email": "greta@example.com", "password": factories.PASSWORD, "language": "de"}
    form.update(overrides)
    return form


def contact_form(**overrides) -> dict:
    form = {"first_name": "Nina", "last_name": "Neu", "email": "nina@example.com", "active": "y", "language": "de"}
    form.update(overrides)
    return form


def staff_count() -> int:
    return db.session.scalar(select(func.count(StaffUser.id)))


# --- Staff ----------------------------------------------------------------------------------


def test_staff_page_offers_the_languages(admin_client):
    page = admin_client.get("/admin/staff").get_data(as_text=True)
    assert '<select class="form-select" id="language" name="language">' in page
    assert '<option value="de">Deutsch</option>' in page
    assert '<option selected value="en">English</option>' in page


def test_staff_member_created_with_german(admin_client):
    response = admin_client.post("/admin/staff", data=staff_form())
    assert response.status_code == 302
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == "greta@example.com"))
    assert staff.language == "de"
    assert "Deutsch" in admin_client.get("/admin/staff").get_data(as_text=True)


def test_staff_member_created_with_english_by_default(admin_client):
    data = staff_form()
    del data["language"]
    assert admin_client.post("/admin/staff", data=data).status_code == 302
    assert db.session.scalar(select(StaffUser.language).where(StaffUser.email == "greta@example.com")) == "en"


def test_unsupported_staff_language_is_refused(admin_client):
    before = staff_count()
    response = admin_client.post("/admin/staff", data=staff_form(language="xx"))
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert staff_count() == before


# --- Contacts -------------------------------------------------------------------------------


def test_contact_created_with_german(admin_client, f):
    customer = f.make_customer()
    response = admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form())
    assert response.status_code == 302
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert contact.language == "de"


def test_contact_created_without_a_language_is_english(admin_client, f):
    customer = f.make_customer()
    data = contact_form()
    del data["language"]
    assert admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=data).status_code == 302
    assert db.session.scalar(select(Contact.language).where(Contact.email == "nina@example.com")) == "en"


def test_contact_language_changed_on_edit_and_shown_selected(admin_client, f):
    contact = f.make_contact(email="nina@example.com", first_name="Nina", last_name="Neu")
    page = admin_client.get(f"/admin/contacts/{contact.id}/edit").get_data(as_text=True)
    assert '<option selected value="en">English</option>' in page
    response = admin_client.post(
        f"/admin/contacts/{contact.id}/edit", data=contact_form(version=contact.version, is_primary="y")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert contact.language == "de"
    page = admin_client.get(f"/admin/contacts/{contact.id}/edit").get_data(as_text=True)
    assert '<option selected value="de">Deutsch</option>' in page


@pytest.mark.parametrize("code", ["xx", "DE", "", "de-AT"])
def test_unsupported_contact_language_is_refused_on_create(admin_client, f, code):
    customer = f.make_customer()
    response = admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form(language=code))
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_unsupported_contact_language_is_refused_on_edit_and_nothing_changes(admin_client, f):
    contact = f.make_contact(email="nina@example.com", first_name="Nina", last_name="Neu")
    version = contact.version
    response = admin_client.post(
        f"/admin/contacts/{contact.id}/edit",
        data=contact_form(version=version, is_primary="y", first_name="Changed", language="xx"),
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert (contact.language, contact.first_name, contact.version) == ("en", "Nina", version)


def test_the_service_refuses_an_unsupported_language(app, f):
    contact = f.make_contact()
    data = ContactData(
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        is_primary=contact.is_primary,
        language="xx",
    )
    with app.test_request_context(), pytest.raises(ServiceError, match="language is not available"):
        update_contact(contact, data, expected_version=contact.version)
    db.session.rollback()
    db.session.expire_all()
    assert contact.language == "en"


def test_the_service_keeps_the_language_when_none_is_given(app, f):
    contact = f.make_contact()
    contact.language = "de"
    db.session.commit()
    data = ContactData(
        first_name="Other", last_name=contact.last_name, email=contact.email, is_primary=contact.is_primary
    )
    update_contact(contact, data, expected_version=contact.version)
    db.session.expire_all()
    assert (contact.first_name, contact.language) == ("Other", "de")
