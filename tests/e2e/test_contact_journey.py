"""The contact journey in a real browser.

Issue: "staff log in, open a customer, create a contact with only the Projects permission
through the Contacts tab; that contact logs in and sees Projects and no other feature in the
menu; opening the invoices URL by hand shows access denied."

CSRF protection is on here, as in production: every form is submitted the way a browser does.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from core.catalogs import PERMISSIONS
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

FEATURE_LABELS = [p.label for p in PERMISSIONS]
OTHER_LABELS = [label for label in FEATURE_LABELS if label != "Projects"]
CONTACT_EMAIL = "pia.projects@example.com"
CONTACT_PASSWORD = "only projects, please"


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def menu_labels(page: Page) -> list[str]:
    menu = page.get_by_test_id("portal-menu")
    expect(menu).to_be_visible()
    return [text.strip() for text in menu.get_by_role("link").all_inner_texts()]


def test_staff_creates_a_projects_only_contact_who_sees_only_projects(live_server, new_page, screenshot, f):
    assert sorted(FEATURE_LABELS) == sorted(["Invoices", "Estimates", "Contracts", "Proposals", "Support", "Projects"])
    f.make_staff(email="staff@example.com")
    f.make_customer("Acme Rockets")
    f.make_customer("Other Company")

    # Staff: log in, open the customer, Contacts tab, New Contact.
    staff = new_page()
    staff.goto(f"{live_server}/admin/login")
    log_in(staff, "staff@example.com", factories.PASSWORD)
    expect(staff.get_by_role("heading", name="Customers")).to_be_visible()
    screenshot(staff, "01-admin-customers")
    staff.get_by_role("link", name="Acme Rockets", exact=True).click()
    expect(staff.get_by_role("heading", name="Acme Rockets")).to_be_visible()
    staff.get_by_role("link", name="Contacts", exact=True).click()
    expect(staff.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    staff.get_by_role("link", name="New Contact").click()
    expect(staff.get_by_role("heading", name="New Contact")).to_be_visible()

    staff.get_by_label("First name").fill("Pia")
    staff.get_by_label("Last name").fill("Projects")
    staff.get_by_label("Email", exact=True).fill(CONTACT_EMAIL)
    password = staff.get_by_label("Password", exact=True)
    expect(password).to_be_hidden()  # only with "Set a password now"
    staff.get_by_role("radio", name="Set a password now").check()
    password.fill(CONTACT_PASSWORD)
    permissions = staff.get_by_role("group", name="Permissions")
    for p in PERMISSIONS:
        box = permissions.get_by_role("checkbox", name=p.label, exact=True)
        expect(box).to_have_id(f"perm_{p.key}")
        box.set_checked(p.key == "projects")
    for p in PERMISSIONS:
        expect(staff.locator(f"#perm_{p.key}")).to_be_checked(checked=p.key == "projects")
    screenshot(staff, "02-admin-new-contact-projects-only")
    staff.get_by_role("button", name="Save contact").click()

    expect(staff.get_by_role("alert")).to_contain_text("Contact Pia Projects created.")
    row = staff.get_by_test_id("contacts-table").locator(f'tr[data-contact="{CONTACT_EMAIL}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("Pia Projects")
    expect(row.locator("td").nth(2)).to_have_text("Projects")
    screenshot(staff, "03-admin-contacts-tab")
    assert staff.problems == []

    # The contact, in a separate browser context: logs in, sees only Projects.
    contact = new_page()
    contact.goto(f"{live_server}/login")
    log_in(contact, CONTACT_EMAIL, CONTACT_PASSWORD)
    expect(contact).to_have_url(re.compile(r"/dashboard$"))
    labels = menu_labels(contact)
    assert "Projects" in labels, labels
    assert not set(OTHER_LABELS) & set(labels), labels
    features = contact.get_by_test_id("portal-menu").locator("[data-feature]")
    expect(features).to_have_count(1)
    expect(features).to_have_attribute("data-feature", "projects")
    screenshot(contact, "04-portal-menu-projects-only")

    contact.get_by_test_id("portal-menu").get_by_role("link", name="Projects", exact=True).click()
    expect(contact).to_have_url(re.compile(r"/projects$"))

    # Typing the invoices address by hand: access denied.
    response = contact.goto(f"{live_server}/invoices")
    assert response is not None and response.status == 403
    expect(contact.get_by_role("heading", name="Access denied")).to_be_visible()
    expect(contact.get_by_text("You do not have permission to see this page.")).to_be_visible()
    screenshot(contact, "05-portal-invoices-access-denied")
    # The only console error allowed is the browser reporting the 403 response itself.
    assert [p for p in contact.problems if "status of 403" not in p] == []


def test_logged_out_visitor_is_sent_to_login_and_back_to_projects(live_server, page, screenshot, f):
    customer = f.make_customer("Acme Rockets")
    f.make_contact(customer, email="back@example.com", permissions={"projects"})

    page.goto(f"{live_server}/projects")
    url = urlsplit(page.url)
    assert url.path == "/login"
    assert parse_qs(url.query).get("next") == ["/projects"]
    expect(page.get_by_role("heading", name="Log in to the customer area")).to_be_visible()
    screenshot(page, "06-portal-login-next-projects")

    log_in(page, "back@example.com", factories.PASSWORD)
    expect(page).to_have_url(f"{live_server}/projects")
    assert menu_labels(page) == ["Dashboard", "Projects"]
    assert page.problems == []
