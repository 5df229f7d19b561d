"""Issue 7's browser journey, from a new customer to a contact at home in the customer area.

Staff create a customer and invite a contact with Invoices and Support; the invitation goes out
over SMTP (a real server on loopback); the contact follows the emailed link, chooses a password,
logs in and sees only its features; opens its invoice and downloads the PDF; changes its email
notifications; switches the language to German and back, and the pages follow.

Covered elsewhere: opening an invoice from the email link (test_send_invoice_journey), the
primary contact inviting a colleague (test_step3_journeys).

German text appears once the German catalog is compiled (``python3 manage.py translations``, run
by the install step), with the layout's messages from translations/parts/ui.po merged into it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.catalogs import PERMISSIONS
from core.extensions import db
from core.models import Contact, Customer
from tests import factories
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

EMAIL = "nora@nebula.example"
PASSWORD = "nebula launch window"


def log_in(page: Page, email: str, password: str = factories.PASSWORD) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_staff_invite_a_new_customer_contact_who_uses_the_portal(app, live_server, new_page, screenshot, f, smtp):
    app.config["PUBLIC_BASE_URL"] = live_server
    f.make_staff(email="staff@example.com", name="Sam Staff")

    # Staff: a new customer, then its first contact, invited by email.
    staff = new_page()
    staff.goto(f"{live_server}/admin/login")
    log_in(staff, "staff@example.com")
    staff.get_by_role("link", name="New Customer").click()
    expect(staff.get_by_role("heading", name="New customer")).to_be_visible()
    staff.get_by_label("Company").fill("Nebula Freight")
    staff.get_by_label("City").fill("Bremen")
    staff.get_by_role("button", name="Save customer").click()
    expect(staff.get_by_role("alert")).to_contain_text("Customer Nebula Freight created.")
    expect(staff.get_by_role("heading", name="Nebula Freight")).to_be_visible()
    screenshot(staff, "50-admin-new-customer")

    staff.get_by_role("link", name="Contacts", exact=True).click()
    staff.get_by_role("link", name="New Contact").click()
    staff.get_by_label("First name").fill("Nora")
    staff.get_by_label("Last name").fill("Nebula")
    staff.get_by_label("Email", exact=True).fill(EMAIL)
    permissions = staff.get_by_role("group", name="Permissions")
    for p in PERMISSIONS:
        permissions.locator(f"#perm_{p.key}").set_checked(p.key in {"invoices", "support"})
    expect(staff.get_by_role("radio", name="Email an invitation to set a password")).to_be_checked()  # the default
    screenshot(staff, "51-admin-invite-contact")
    staff.get_by_role("button", name="Save contact").click()
    expect(staff.get_by_role("alert")).to_have_text("Contact Nora Nebula created and invited by email.")
    expect(staff.get_by_test_id("notification-matrix")).to_be_visible()
    screenshot(staff, "52-admin-contacts-and-matrix")
    assert staff.problems == []

    customer = db.session.scalar(select(Customer).where(Customer.company == "Nebula Freight"))
    invoice = f.make_invoice(customer, number="INV-2026-0100")

    # The invitation arrived over SMTP; its link leads to "choose your password".
    smtp.wait_for(1)
    [invitation] = smtp.to(EMAIL)
    text = invitation.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/set-password/\S+", text).group(0)
    contact = new_page()
    contact.goto(link)
    expect(contact.get_by_role("heading", name="Choose your password")).to_be_visible()
    contact.get_by_label("New password", exact=True).fill(PASSWORD)
    contact.get_by_label("Repeat new password").fill(PASSWORD)
    screenshot(contact, "53-portal-choose-password")
    contact.get_by_role("button", name="Save password").click()
    expect(contact.get_by_role("alert")).to_have_text("Your password is set. You can log in now.")
    log_in(contact, EMAIL, PASSWORD)
    expect(contact).to_have_url(re.compile(r"/dashboard$"))

    # Only its features: Invoices and Support.
    menu = contact.get_by_test_id("portal-menu")
    assert [t.strip() for t in menu.get_by_role("link").all_inner_texts()] == ["Dashboard", "Invoices", "Support"]
    expect(contact.get_by_test_id("company-menu")).to_be_visible()  # the first contact is the primary one
    screenshot(contact, "54-portal-dashboard")

    # Its invoice, and the PDF.
    menu.get_by_role("link", name="Invoices", exact=True).click()
    contact.get_by_role("link", name="INV-2026-0100").click()
    expect(contact).to_have_url(f"{live_server}/invoices/{invoice.id}")
    expect(contact.get_by_role("heading", name="Invoice INV-2026-0100")).to_be_visible()
    screenshot(contact, "55-portal-invoice")
    contact.emulate_media(media="print")  # printed: the document only, no menu or buttons
    expect(contact.get_by_test_id("portal-menu")).to_be_hidden()
    expect(contact.get_by_role("link", name="Download PDF")).to_be_hidden()
    expect(contact.get_by_role("heading", name="Invoice INV-2026-0100")).to_be_visible()
    contact.screenshot(path=SCREENSHOTS / "55-portal-invoice-print.png", full_page=True)
    contact.emulate_media(media="screen")
    with contact.expect_download() as download_info:
        contact.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # Email notifications: ticket replies on, invoices off.
    contact.get_by_role("link", name="Nora Nebula").click()
    preferences = contact.get_by_test_id("notification-preferences")
    preferences.get_by_role("switch", name="Tickets").check()
    preferences.get_by_role("switch", name="Invoice", exact=True).uncheck()
    preferences.get_by_role("button", name="Save email preferences").click()
    expect(contact.get_by_role("alert")).to_have_text("Your email preferences are saved.")
    expect(contact.get_by_test_id("notification-preferences").get_by_role("switch", name="Tickets")).to_be_checked()
    screenshot(contact, "56-portal-profile-notifications")
    db.session.rollback()
    nora = db.session.scalar(select(Contact).where(Contact.email == EMAIL))
    assert "ticket" in nora.notifications and "invoice" not in nora.notifications

    # Deutsch: the switcher in the top bar; the page and the contact's language follow.
    contact.get_by_test_id("language-switcher").get_by_role("button", name="Deutsch").click()
    expect(contact.locator("html")).to_have_attribute("lang", "de")
    expect(contact).to_have_url(re.compile(r"/profile$"))
    expect(menu.get_by_role("link", name="Übersicht", exact=True)).to_be_visible()
    expect(contact.get_by_role("button", name="Abmelden")).to_be_visible()
    screenshot(contact, "57-portal-profile-german")
    db.session.rollback()
    assert db.session.get(Contact, nora.id).language == "de"
    contact.get_by_test_id("language-switcher").get_by_role("button", name="English").click()
    expect(contact.locator("html")).to_have_attribute("lang", "en")
    expect(menu.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
    assert contact.problems == []
