"""Issue 3's browser journey: staff send an invoice from the dialog to one preselected contact
plus one added by hand; both receive it over SMTP; the link in the email, opened in the
browser, leads through login to that invoice. On the way (issue 16) staff preview the email
of a German contact and see it in German."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def log_in(page, email: str, password: str = factories.PASSWORD) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def test_send_invoice_from_dialog_and_follow_the_link(app, live_server, new_page, screenshot, f, smtp):
    app.config["PUBLIC_BASE_URL"] = live_server
    f.make_staff(email="staff@example.com")
    customer = f.make_customer("Acme Rockets")
    anna = f.make_contact(customer, first_name="Anna", email="anna@acme.example", notifications={"invoice"})
    ben = f.make_contact(customer, first_name="Ben", email="ben@acme.example", notifications=set())
    f.make_contact(customer, first_name="Greta", email="greta@acme.example", notifications=set(), language="de")
    f.make_contact(
        f.make_customer("Other Co"), first_name="Olga", email="olga@other.example", notifications={"invoice"}
    )
    invoice = f.make_invoice(customer, number="INV-2026-0042")

    staff = new_page()
    staff.goto(f"{live_server}/admin/login")
    log_in(staff, "staff@example.com")
    staff.goto(f"{live_server}/admin/invoices/{invoice.id}")
    staff.get_by_test_id("send-by-email").click()
    expect(staff.get_by_role("heading", name=re.compile("Send invoice INV-2026-0042"))).to_be_visible()
    anna_box = staff.get_by_label(re.compile("Anna .*anna@acme.example"))
    ben_box = staff.get_by_label(re.compile("Ben .*ben@acme.example"))
    expect(anna_box).to_be_checked()  # preselected: its Invoice notification is on
    expect(ben_box).not_to_be_checked()
    expect(staff.get_by_text("olga@other.example")).to_have_count(0)  # other customers never listed
    # Issue 16: each recipient's email can be previewed, in that contact's language.
    popup_problems: list[str] = []  # the new tab's console errors (CSP violations included)
    staff.context.on("console", lambda msg: popup_problems.append(msg.text) if msg.type == "error" else None)
    with staff.expect_popup() as opened:
        staff.get_by_role("link", name=re.compile("Preview the email to Greta")).click()
    preview = opened.value
    expect(preview.get_by_role("heading", name=re.compile("Preview of the email to Greta"))).to_be_visible()
    expect(preview.get_by_test_id("preview-subject")).to_have_text("Rechnung INV-2026-0042 von Northwind Services")
    expect(preview.get_by_test_id("preview-language")).to_have_text("Deutsch")
    frame = preview.frame_locator("iframe.email-frame")
    expect(frame.get_by_text("Hallo Greta,")).to_be_visible()
    screenshot(preview, "10b-admin-send-invoice-preview")
    assert not popup_problems, popup_problems
    preview.close()
    ben_box.check()  # added by hand
    screenshot(staff, "10-admin-send-invoice-dialog")
    staff.get_by_role("button", name="Send").click()
    expect(staff.get_by_text("Invoice sent to")).to_be_visible()

    assert sorted(rcpts[0] for rcpts, _ in smtp.wait_for(2)) == ["anna@acme.example", "ben@acme.example"]
    message = smtp.to(ben.email)[0]
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/invoices/\d+", text).group(0)
    assert link == f"{live_server}/invoices/{invoice.id}"

    reader = new_page()
    reader.goto(link)
    expect(reader).to_have_url(re.compile(r"/login\?next="))
    log_in(reader, ben.email)
    expect(reader).to_have_url(link)
    expect(reader.get_by_role("heading", name="Invoice INV-2026-0042")).to_be_visible()
    screenshot(reader, "11-portal-invoice-from-email")
    assert not reader.problems and not staff.problems
    assert anna.email in {rcpts[0] for rcpts, _ in smtp.messages}
