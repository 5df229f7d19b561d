"""Issue 16: at 1280 px every row action of the Contacts tab is reachable without scrolling sideways.

The row's actions are one "Actions" menu: it opens above the table's scroll container (not
clipped by it), Deactivate and Delete are visible inside the viewport, and Delete asks first.
The menu also works from the keyboard. CSRF protection is on, as in production.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.extensions import db
from core.models import Contact
from tests import factories
from tests.conftest import count

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def log_in(page: Page, email: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()


def inside_viewport(page: Page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and (box["y"] + box["height"] <= size["height"])
    )


def test_row_actions_menu_fits_at_1280_and_delete_asks_first(live_server, page, screenshot, f):
    f.make_staff(email="staff@example.com")
    customer = f.make_customer("Acme Rockets")
    f.make_contact(customer, first_name="Anna", last_name="Primary", email="anna@acme.example")
    f.make_contact(
        customer,
        first_name="Maximiliane",
        last_name="Longname-Example",
        email="maximiliane.longname-example@acme-rockets.example",
        position="Head of procurement and vendor relations",
        permissions={"invoices", "estimates", "contracts", "proposals", "support", "projects"},
        notifications={"invoice", "credit_note", "estimate", "contract", "ticket", "task", "project"},
    )
    page.goto(f"{live_server}/admin/login")
    log_in(page, "staff@example.com")
    page.goto(f"{live_server}/admin/customers/{customer.id}/contacts")
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    assert page.viewport_size == {"width": 1280, "height": 800}

    # Nothing sticks out to the right: no sideways scrolling of the page or of the table.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table_box = page.locator(".table-responsive").first
    assert table_box.evaluate("box => box.scrollWidth <= box.clientWidth + 1")

    row = page.locator('tr[data-contact="maximiliane.longname-example@acme-rockets.example"]')
    toggle = row.get_by_role("button", name="Actions for Maximiliane Longname-Example")
    expect(toggle).to_be_visible()
    assert inside_viewport(page, toggle)
    toggle.click()
    menu = row.locator(".dropdown-menu")
    expect(menu).to_be_visible()
    deactivate = menu.get_by_role("button", name="Deactivate")
    delete = menu.get_by_role("button", name="Delete")
    for item in (menu.get_by_role("button", name="Log in as"), deactivate, delete):
        expect(item).to_be_visible()
        assert inside_viewport(page, item), item
    # Not clipped by the table's scroll container: the topmost element at Delete is Delete.
    assert delete.evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }"
    )
    screenshot(page, "60-admin-contacts-row-actions")

    # Delete asks first; dismissing keeps the contact.
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    delete.click()
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    assert questions == ["Delete Maximiliane Longname-Example? The customer's documents are kept."]
    db.session.rollback()
    assert count(Contact) == 2

    # From the keyboard: the toggle opens the menu, arrow keys reach the items, Escape closes it.
    page.reload()
    toggle = row.get_by_role("button", name="Actions for Maximiliane Longname-Example")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(row.locator(".dropdown-menu")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(row.locator(".dropdown-menu .dropdown-item").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(row.locator(".dropdown-menu")).to_be_hidden()
    expect(toggle).to_be_focused()
    assert page.problems == []


def test_warning_links_to_the_contact_and_the_form_reveals_the_password_on_choice(live_server, page, screenshot, f):
    f.make_staff(email="staff@example.com")
    customer = f.make_customer("Solo Bakery")
    olga = f.make_contact(customer, first_name="Olga", last_name="Baker", permissions={"invoices"})
    page.goto(f"{live_server}/admin/login")
    log_in(page, "staff@example.com")
    page.goto(f"{live_server}/admin/customers/{customer.id}/contacts")
    warning = page.get_by_test_id("unreached-warning")
    expect(warning.get_by_test_id("unreached-invoice")).to_contain_text(
        "Nobody at Solo Bakery receives Invoice emails automatically."
    )
    screenshot(page, "61-admin-contacts-unreached-warning")
    warning.get_by_test_id("unreached-invoice").get_by_role("link", name="Olga Baker").click()
    expect(page).to_have_url(f"{live_server}/admin/contacts/{olga.id}/edit#notifications")
    expect(page.get_by_role("group", name="Email Notifications")).to_be_in_viewport()

    page.goto(f"{live_server}/admin/customers/{customer.id}/contacts/new")
    invite = page.get_by_role("radio", name="Email an invitation to set a password")
    password = page.get_by_label("Password", exact=True)
    expect(invite).to_be_checked()
    expect(password).to_be_hidden()
    page.get_by_role("radio", name="Set a password now").check()
    expect(password).to_be_visible()
    screenshot(page, "62-admin-new-contact-set-password")
    invite.check()
    expect(password).to_be_hidden()
    assert page.problems == []
