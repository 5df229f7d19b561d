"""The admin area through HTTP: guard, customers, the Contacts tab and the contact form."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.extensions import db
from core.models import Contact, Customer
from core.services.settings import set_default_contact_permissions
from tests.conftest import login
from tests.http.helpers.forms import contact_form


def is_checked(page: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page)
    assert tag, field_id
    return " checked" in tag.group(0)


# Public admin pages: the login, the sign-in link pages, which check their own signed token
# (tests/http/test_sign_in_links.py), and the passkey sign-in, whose answer is the credential
# (tests/http/test_passkeys.py).
PUBLIC = {
    "admin.login",
    "admin.request_sign_in_link",
    "admin.sign_in_link",
    "admin.passkey_login_options",
    "admin.passkey_login",
}


def admin_endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and rule.endpoint not in PUBLIC:
            yield rule


def concrete(rule) -> str:
    values = {}
    for arg in rule.arguments - set(rule.defaults or {}):
        converter = rule._converters[arg]  # an any() converter lists its allowed words
        values[arg] = sorted(converter.items)[0] if hasattr(converter, "items") else 1
    return rule.build(values)[1]


def test_every_admin_route_is_guarded_for_visitors_and_contacts(app, client, f):
    contact = f.make_contact()
    rules = list(admin_endpoints(app))
    assert len(rules) > 8
    contact_client = app.test_client()
    login(contact_client, contact)
    for rule in rules:
        url = concrete(rule)
        method = "POST" if "GET" not in rule.methods else "GET"
        for who in (client, contact_client):
            response = who.open(url, method=method)
            assert response.status_code == 302, (url, response.status_code)
            assert response.location.startswith("/admin/login")


def test_customer_list_search_and_pagination(admin_client, app, f):
    for i in range(25):
        f.make_customer(f"Company {i:02d}")
    f.make_customer("Zeta Widgets", vat_number="DE999")
    page1 = admin_client.get("/admin/customers").get_data(as_text=True)
    assert "Company 00" in page1 and "Page 1 of 2" in page1
    page2 = admin_client.get("/admin/customers?page=2").get_data(as_text=True)
    assert "Zeta Widgets" in page2 and "Company 00" not in page2
    found = admin_client.get("/admin/customers?q=zeta").get_data(as_text=True)
    assert "Zeta Widgets" in found and "Company 01" not in found
    assert "Zeta Widgets" in admin_client.get("/admin/customers?q=de999").get_data(as_text=True)
    assert admin_client.get("/admin/customers?page=abc").status_code == 200


def test_create_and_edit_customer(admin_client):
    response = admin_client.post("/admin/customers/new", data={"company": "Initech", "currency": "EUR", "active": "y"})
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer).where(Customer.company == "Initech"))
    data = {"company": "Initech GmbH", "currency": "EUR", "website": "https://initech.example"}
    response = admin_client.post(f"/admin/customers/{customer.id}/edit", data=data | {"version": customer.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert customer.company == "Initech GmbH" and customer.active is False


@pytest.mark.parametrize(
    "data, message",
    [
        ({"company": ""}, "This field is required."),
        ({"company": "x" * 500}, "Field cannot be longer than 160 characters."),
        ({"company": "Ok", "website": "not a url"}, "Enter a full address"),
        ({"company": "Ok", "currency": "euro"}, "three-letter code"),
    ],
)
def test_customer_bad_input_gets_a_message_and_changes_nothing(admin_client, data, message):
    response = admin_client.post("/admin/customers/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_contacts_tab_shows_permissions_and_toggles_at_a_glance(admin_client, f):
    customer = f.make_customer("Acme")
    f.make_contact(customer, email="anna@acme.example", permissions={"projects", "support"}, notifications={"project"})
    page = admin_client.get(f"/admin/customers/{customer.id}/contacts").get_data(as_text=True)
    row = page.split('data-contact="anna@acme.example"')[1].split("</tr>")[0]
    assert "Primary" in row and "Projects" in row and "Support" in row and "Invoices" not in row
    assert ">Project<" in row and ">Task<" not in row


def test_new_contact_form_uses_catalog_labels_and_default_permissions(app, admin_client, f):
    customer = f.make_customer()
    set_default_contact_permissions({"support", "projects"})
    page = admin_client.get(f"/admin/customers/{customer.id}/contacts/new").get_data(as_text=True)
    with app.test_request_context():  # the labels are lazy: English outside a German request
        labels = [str(item.label) for item in (*PERMISSIONS, *NOTIFICATIONS)]
    for label in labels:
        assert f">{label}</label>" in page
    assert is_checked(page, "perm_support") and is_checked(page, "perm_projects")
    assert not is_checked(page, "perm_invoices")


def test_create_contact_through_the_form(admin_client, f):
    customer = f.make_customer()
    response = admin_client.post(
        f"/admin/customers/{customer.id}/contacts/new",
        data=contact_form(perm_projects="y", notify_project="y", notify_task="y"),
    )
    assert response.status_code == 302
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert contact.customer_id == customer.id and contact.is_primary
    assert contact.permissions == {"projects"} and contact.notifications == {"project", "task"}


def test_toggle_without_permission_is_refused_with_a_message(admin_client, f):
    customer = f.make_customer()
    response = admin_client.post(
        f"/admin/customers/{customer.id}/contacts/new", data=contact_form(perm_projects="y", notify_invoice="y")
    )
    assert "Invoice emails need the Invoices permission" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_duplicate_email_is_refused_with_a_clear_message(admin_client, f):
    f.make_contact(email="nina@example.com")
    customer = f.make_customer()
    response = admin_client.post(
        f"/admin/customers/{customer.id}/contacts/new", data=contact_form(email="NINA@example.com")
    )
    assert "A contact with the email address nina@example.com already exists." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contact.id))) == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("first_name", "x" * 1000),
        ("email", "not-an-email"),
        ("email", "a\r\nBcc: x@evil.example"),
        ("password", "short"),
    ],
)
def test_contact_form_bad_input(admin_client, f, field, value):
    customer = f.make_customer()
    response = admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form(**{field: value}))
    assert response.status_code == 200
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_edit_contact_make_primary_demotes_the_other(admin_client, f):
    customer = f.make_customer()
    first = f.make_contact(customer)
    second = f.make_contact(customer)
    response = admin_client.post(
        f"/admin/contacts/{second.id}/edit",
        data=contact_form(email=second.email, is_primary="y", perm_support="y", version=second.version),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert second.is_primary and not first.is_primary and second.permissions == {"support"}


def test_stale_edit_is_refused(admin_client, f):
    contact = f.make_contact()
    stale = contact.version
    admin_client.post(
        f"/admin/contacts/{contact.id}/edit",
        data=contact_form(email=contact.email, is_primary="y", first_name="First", version=stale),
    )
    response = admin_client.post(
        f"/admin/contacts/{contact.id}/edit",
        data=contact_form(email=contact.email, is_primary="y", first_name="Second", version=stale),
    )
    assert "changed this contact meanwhile" in response.get_data(as_text=True)
    db.session.expire_all()
    assert contact.first_name == "First"


def test_contact_actions(admin_client, f):
    customer = f.make_customer()
    primary = f.make_contact(customer)
    other = f.make_contact(customer)
    admin_client.post(f"/admin/contacts/{other.id}/deactivate")
    db.session.expire_all()
    assert other.active is False
    admin_client.post(f"/admin/contacts/{other.id}/activate")
    db.session.expire_all()
    assert other.active is True
    response = admin_client.post(f"/admin/contacts/{primary.id}/delete", follow_redirects=True)
    assert "make another contact primary before deleting it" in response.get_data(as_text=True)
    admin_client.post(f"/admin/contacts/{other.id}/make-primary")
    admin_client.post(f"/admin/contacts/{primary.id}/delete")
    db.session.expire_all()
    assert db.session.scalars(select(Contact.email)).all() == [other.email]
    assert other.is_primary


def test_actions_are_post_only_and_unknown_ids_are_404(admin_client, f):
    contact = f.make_contact()
    assert admin_client.get(f"/admin/contacts/{contact.id}/delete").status_code == 405
    assert admin_client.post("/admin/contacts/999999/delete").status_code == 404
    assert admin_client.post(f"/admin/contacts/{contact.id}/explode").status_code == 404
    assert admin_client.get("/admin/customers/abc").status_code == 404
    assert admin_client.get("/admin/customers/99999999999999999999999").status_code == 404
    assert admin_client.get("/admin/contacts/999999/edit").status_code == 404


def test_default_permissions_setting(admin_client):
    reminders = {
        "overdue_first_after_days": 2,
        "overdue_repeat_every_days": 4,
        "due_soon_days_before": 3,
        "estimate_expiry_days_before": 3,
        "contract_expiry_days_before": 7,
    }
    admin_client.post("/admin/settings", data={"perm_invoices": "y", "perm_support": "y", **reminders})
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert is_checked(page, "perm_invoices") and is_checked(page, "perm_support")
    assert not is_checked(page, "perm_projects")
    assert re.search(r'<input[^>]*id="overdue_repeat_every_days"[^>]*value="4"', page)
    bad = admin_client.post("/admin/settings", data={**reminders, "overdue_first_after_days": "-3"})
    assert "Number must be between 0 and 365." in bad.get_data(as_text=True)
