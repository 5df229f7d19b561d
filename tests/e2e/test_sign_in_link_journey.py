"""Issue 18's sign-in link journey in a real browser, with the real SMTP sink: a contact follows
an invoice email's link while logged out, asks for a sign-in link on the login page (its address
already filled in), opens the link from the email it receives, confirms, and lands on that
invoice, without ever typing a password.

CSRF protection is on here, as in production: every form is submitted the way a browser does.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.extensions import db
from core.mail.dispatch import dispatch_all
from core.notifications.notify import notify_invoice

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def link_in(message, pattern: str) -> str:
    return re.search(pattern, message.get_body(("plain",)).get_content()).group(0)


def test_invoice_email_link_then_sign_in_link_lands_on_the_invoice(app, live_server, page, screenshot, f, smtp):
    app.config["PUBLIC_BASE_URL"] = live_server
    customer = f.make_customer("Acme Rockets")
    anna = f.make_contact(
        customer, first_name="Anna", last_name="Schmidt", email="anna@acme.example", notifications={"invoice"}
    )
    invoice = f.make_invoice(customer, number="INV-2026-0002")
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    dispatch_all()
    invoice_link = link_in(smtp.wait_for(1)[0][1], r"https?://\S+/invoices/\d+\S*")
    assert invoice_link == f"{live_server}/invoices/{invoice.id}?login_hint={anna.email}"

    # Logged out, the invoice link lands on the login page with Anna's address filled in.
    page.goto(invoice_link)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_label("Email", exact=True)).to_have_value(anna.email)
    screenshot(page, "30-portal-login-from-invoice-email")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("alert")).to_contain_text("we have sent it an email with a sign-in link")

    # The flush after the response normally sends it; the dispatcher is the backstop when that
    # flush finds another one running (seen once in a full PostgreSQL run).
    if len(smtp.wait_for(2, timeout=3.0)) < 2:
        dispatch_all()
    messages = smtp.wait_for(2)
    assert [rcpts for rcpts, _message in messages] == [[anna.email], [anna.email]]
    assert "sign-in link" in messages[1][1]["Subject"]
    sign_in_link = link_in(messages[1][1], r"https?://\S+/login/link/\S+")

    # Opening the link only asks; the button signs in and lands on the invoice.
    page.goto(sign_in_link)
    expect(page.get_by_role("heading", name="Continue as Anna Schmidt")).to_be_visible()
    screenshot(page, "31-portal-sign-in-link-confirm")
    page.get_by_role("button", name="Continue as Anna Schmidt").click()
    expect(page).to_have_url(f"{live_server}/invoices/{invoice.id}")
    expect(page.get_by_role("heading", name="Invoice INV-2026-0002")).to_be_visible()
    screenshot(page, "32-portal-invoice-after-sign-in-link")
    assert page.problems == []

    # Used once: opening it again (another tab, a forwarded copy) is refused (a 400 page).
    page.goto(sign_in_link)
    expect(page.get_by_text("already been used")).to_be_visible()


def test_a_staff_member_signs_in_to_the_admin_area_with_a_link(app, live_server, page, screenshot, f, smtp):
    # The same journey on the admin login page: the link is emailed in the staff member's
    # language and lands on the admin page the staff member was going to.
    app.config["PUBLIC_BASE_URL"] = live_server
    staff = f.make_staff(email="sam@northwind.example", name="Sam Staff")

    page.goto(f"{live_server}/admin/emails")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_role("link", name="Email me a sign-in link").click()
    page.get_by_label("Email", exact=True).fill(staff.email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("alert")).to_contain_text("we have sent it an email with a sign-in link")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))

    if not smtp.wait_for(1, timeout=3.0):
        dispatch_all()
    [(recipients, message)] = smtp.wait_for(1)
    assert recipients == [staff.email] and "admin area" in message["Subject"]
    sign_in_link = link_in(message, r"https?://\S+/admin/login/link/\S+")

    page.goto(sign_in_link)
    expect(page.get_by_role("heading", name="Continue as Sam Staff")).to_be_visible()
    screenshot(page, "33-admin-sign-in-link-confirm")
    page.get_by_role("button", name="Continue as Sam Staff").click()
    expect(page).to_have_url(f"{live_server}/admin/emails")
    assert page.problems == []

    page.goto(sign_in_link)
    expect(page.get_by_text("already been used")).to_be_visible()
