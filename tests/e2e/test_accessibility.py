"""Accessibility of the main pages, checked by axe-core in Chromium.

Issue: "An automated check with axe-core (npm package, injected into the page by the browser
tests) finds no serious or critical violation on the main pages."

The pages are visited as a contact with every permission (the primary contact), as staff and
logged out, at desktop and phone width, in English and in German. axe-core runs with the WCAG
2.0/2.1 A and AA rules; every serious or critical violation is listed (page, rule, impact,
elements) and fails the test. The browser context bypasses the Content-Security-Policy only so
that the axe script can be injected; the pages themselves are unchanged.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.services.bank_details import BankDetails
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from tests.e2e.helpers import PHONE, audit, log_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

# At phone width (collapsed menu, scrolling tables) and in German (longer words, the lang
# attribute): a sample of the pages, to keep the test fast.
PHONE_PAGES = {
    "dashboard",
    "invoices",
    "invoice",
    "ticket",
    "project",
    "profile",
    "admin-customers",
    "admin-contacts-and-matrix",
    "admin-new-contact",
    "admin-invoice",
    "admin-send-invoice",
}
GERMAN = {
    "dashboard",
    "invoice",
    "ticket",
    "profile",
    "admin-customer",
    "admin-contacts-and-matrix",
    "admin-new-contact",
    "admin-email-preview",
}


def visit(page: Page, url: str, axe, label: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{label}: {url} answered {response and response.status}"
    if page.locator("main#main").count() != 1:
        problems.append(f"{label}: no <main id=main> landmark")
    if (h1 := page.locator("h1").count()) != 1:
        problems.append(f"{label}: {h1} h1 headings instead of one")
    problems += audit(page, axe, label)


def switch_language(page: Page, code: str) -> None:
    switcher = page.get_by_test_id("language-switcher")
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():  # phone width: the menu is collapsed behind the menu button
        expect(toggler).to_have_attribute("aria-expanded", "false")
        toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
    switcher.locator(f'button[value="{code}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_main_pages_have_no_serious_accessibility_violations(live_server, new_page, axe, f):
    # The bank account makes the open invoice's page show bank transfer with its GiroCode.
    bank = BankDetails("Northwind Services GmbH", "DE89370400440532013000", "COBADEFFXXX")
    set_settings({PRIMARY_MANAGES_CONTACTS: "1", **bank.as_settings()})
    f.make_staff(email="staff@example.com", name="Sam Staff")
    customer = f.make_customer("Acme Rockets")
    contact = f.make_contact(
        customer,
        first_name="Paula",
        last_name="Primary",
        email="paula@acme.example",
        # Task, project and ticket emails too: the admin project, task and ticket pages then show
        # who is emailed with the skip checkbox (issue 16), and axe checks those controls.
        notifications={"invoice", "task", "project", "ticket"},
    )
    f.make_contact(customer, first_name="Sid", last_name="Support", email="sid@acme.example", permissions={"support"})
    invoice = f.make_invoice(customer, number="INV-2026-0007")
    f.make_invoice(customer, status="overdue", due_in_days=-3)
    f.make_invoice(customer, status="paid")
    estimate = f.make_estimate(customer)
    contract = f.make_contract(customer, subject="Rocket maintenance")
    ticket = f.make_ticket(customer, contact, subject="Fuel gauge reads zero")
    project = f.make_project(customer, name="Launch pad", tasks=[("Pour concrete", True), ("Paint", True)])
    ids = {"customer": customer.id, "contact": contact.id, "invoice": invoice.id, "estimate": estimate.id}
    ids |= {"contract": contract.id, "ticket": ticket.id, "project": project.id, "task": project.tasks[0].id}

    portal_pages = [
        ("dashboard", "/dashboard"),
        ("invoices", "/invoices"),
        ("invoice", f"/invoices/{ids['invoice']}"),
        ("estimate", f"/estimates/{ids['estimate']}"),
        ("contract", f"/contracts/{ids['contract']}"),
        ("tickets", "/tickets"),
        ("ticket", f"/tickets/{ids['ticket']}"),
        ("new-ticket", "/tickets/new"),
        ("project", f"/projects/{ids['project']}"),
        ("profile", "/profile"),
        ("passkeys", "/profile/passkeys"),
        ("company", "/company"),
        ("colleagues", "/company/contacts"),
    ]
    admin_pages = [
        ("admin-customers", "/admin/customers"),
        ("admin-customer", f"/admin/customers/{ids['customer']}"),
        ("admin-contacts-and-matrix", f"/admin/customers/{ids['customer']}/contacts"),
        ("admin-new-contact", f"/admin/customers/{ids['customer']}/contacts/new"),
        ("admin-edit-contact", f"/admin/contacts/{ids['contact']}/edit"),
        ("admin-invoice", f"/admin/invoices/{ids['invoice']}"),
        ("admin-send-invoice", f"/admin/invoices/{ids['invoice']}/send"),
        ("admin-email-preview", f"/admin/invoices/{ids['invoice']}/send/preview/{ids['contact']}"),
        ("admin-ticket", f"/admin/tickets/{ids['ticket']}"),
        ("admin-project", f"/admin/projects/{ids['project']}"),
        ("admin-task", f"/admin/tasks/{ids['task']}"),
        ("admin-settings", "/admin/settings"),
        ("admin-passkeys", "/admin/account/passkeys"),
    ]
    problems: list[str] = []

    anonymous = new_page(bypass_csp=True)
    anonymous.goto(f"{live_server}/login")
    anonymous.keyboard.press("Tab")  # the first stop: the skip link, which moves focus to <main>
    expect(anonymous.get_by_role("link", name="Skip to content")).to_be_focused()
    anonymous.keyboard.press("Enter")
    expect(anonymous.locator("main#main")).to_be_focused()
    for variant, viewport in (("desktop", None), ("phone", PHONE)):
        if viewport:
            anonymous.set_viewport_size(viewport)
        visit(anonymous, f"{live_server}/login", axe, f"login/{variant}", problems)
        visit(anonymous, f"{live_server}/admin/login", axe, f"admin-login/{variant}", problems)
    visit(anonymous, f"{live_server}/forgot-password", axe, "forgot-password/phone", problems)
    anonymous.goto(f"{live_server}/login")
    switch_language(anonymous, "de")
    visit(anonymous, f"{live_server}/login", axe, "login/de", problems)

    for area, login_url, email, pages in (
        ("portal", "/login", "paula@acme.example", portal_pages),
        ("admin", "/admin/login", "staff@example.com", admin_pages),
    ):
        page = new_page(bypass_csp=True)
        page.goto(f"{live_server}{login_url}")
        log_in(page, email)
        expect(page.locator("main h1")).to_be_visible()
        for name, path in pages:
            visit(page, f"{live_server}{path}", axe, f"{name}/desktop", problems)
        page.set_viewport_size(PHONE)
        for name, path in pages:
            if name in PHONE_PAGES:
                visit(page, f"{live_server}{path}", axe, f"{name}/phone", problems)
        switch_language(page, "de")
        for name, path in pages:
            if name in GERMAN:
                visit(page, f"{live_server}{path}", axe, f"{name}/phone/de", problems)
        assert page.problems == [], f"{area}: {page.problems}"

    assert not problems, f"{len(problems)} serious or critical accessibility violations:\n" + "\n".join(problems)
