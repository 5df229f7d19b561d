"""Step 3's browser journeys, with CSRF protection on as in production.

1. A contact with Estimates and Contracts accepts a sent estimate and signs a contract by typing
   its full name; both pages then show the signature and no decision form; staff are emailed.
2. A contact with Support opens a ticket with an attachment; staff (another browser) download
   the attachment in the admin area and reply; the contact sees the reply.
3. The primary contact invites a Support-only colleague from Company -> Colleagues; the colleague
   follows the emailed set-password link, logs in and sees Support and no other feature.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from core.catalogs import PERMISSIONS
from core.extensions import db
from core.models import Contact, Contract, Estimate, OutboxEmail, StoredFile, Ticket
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

STAFF_EMAIL = "staff@example.com"
UTC_STAMP = r"\d{2} \w{3} \d{4} \d{2}:\d{2} \(UTC\)"


def log_in(page: Page, email: str, password: str = factories.PASSWORD) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def menu(page: Page):
    menu = page.get_by_test_id("portal-menu")
    expect(menu).to_be_visible()
    return menu


def fresh(model, object_id: int):
    """The row as the live server left it (the test's session may hold a stale copy)."""
    db.session.rollback()
    return db.session.get(model, object_id)


# -- 1. accept an estimate, sign a contract ----------------------------------------------------------------


def test_contact_accepts_an_estimate_and_signs_a_contract(live_server, new_page, screenshot, f):
    f.make_staff(email=STAFF_EMAIL)
    customer = f.make_customer("Acme Rockets")
    f.make_contact(
        customer,
        first_name="Erin",
        last_name="Estimates",
        email="erin@acme.example",
        permissions={"estimates", "contracts"},
    )
    estimate = f.make_estimate(customer, status="sent")
    contract = f.make_contract(customer, subject="Rocket maintenance contract")
    estimate_id, estimate_number, contract_id = estimate.id, estimate.number, contract.id

    page = new_page()
    page.goto(f"{live_server}/login")
    log_in(page, "erin@acme.example")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    features = menu(page).locator("[data-feature]")
    expect(features).to_have_count(2)
    assert sorted(features.all_inner_texts()) == ["Contracts", "Estimates"]

    # The estimate: open it from the list, accept it by typing the full name.
    menu(page).get_by_role("link", name="Estimates", exact=True).click()
    page.get_by_role("link", name=estimate_number, exact=True).click()
    expect(page).to_have_url(f"{live_server}/estimates/{estimate_id}")
    expect(page.get_by_role("heading", name=f"Estimate {estimate_number}")).to_be_visible()
    decision = page.get_by_role("region", name="Your decision")
    expect(decision.get_by_role("button", name="Decline")).to_be_visible()
    decision.get_by_label("Your full name").fill("Erin Estimates")
    screenshot(page, "20-portal-estimate-accept-form")
    decision.get_by_role("button", name="Accept and sign").click()

    expect(page.get_by_role("alert")).to_have_text(f"Thank you: estimate {estimate_number} is accepted.")
    expect(page.get_by_role("heading", name=f"Estimate {estimate_number}")).to_contain_text("Accepted")
    expect(decision).to_contain_text(re.compile(rf"Accepted and signed by Erin Estimates on {UTC_STAMP}"))
    expect(decision.get_by_role("button")).to_have_count(0)
    expect(decision.get_by_role("textbox")).to_have_count(0)
    screenshot(page, "21-portal-estimate-accepted")
    accepted_text = decision.inner_text()

    # The contract: open it from the list, sign it by typing the full name (and confirming).
    menu(page).get_by_role("link", name="Contracts", exact=True).click()
    page.get_by_role("link", name="Rocket maintenance contract", exact=True).click()
    expect(page).to_have_url(f"{live_server}/contracts/{contract_id}")
    signature = page.get_by_role("region", name="Signature")
    expect(page.get_by_role("heading", name="Rocket maintenance contract")).to_contain_text("Not signed")
    signature.get_by_label("Your full name").fill("Erin Estimates")
    screenshot(page, "22-portal-contract-sign-form")
    dialogs: list[str] = []

    def accept_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept_dialog)
    signature.get_by_role("button", name="Sign contract").click()

    expect(page.get_by_role("alert")).to_have_text("Thank you: the contract is signed.")
    assert dialogs == ["Sign this contract? A signed contract cannot be changed."]
    expect(signature).to_contain_text(re.compile(rf"Signed by Erin Estimates on {UTC_STAMP}"))
    expect(signature.locator("form")).to_have_count(0)
    expect(signature.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("heading", name="Rocket maintenance contract")).to_contain_text("Signed")
    screenshot(page, "23-portal-contract-signed")
    assert page.problems == []

    # The database, and the staff emails.
    estimate = fresh(Estimate, estimate_id)
    assert estimate.status == "accepted"
    assert estimate.signer_name == "Erin Estimates"
    assert estimate.decided_at is not None and estimate.decided_ip == "127.0.0.1"
    assert f"on {estimate.decided_at:%d %b %Y %H:%M} (UTC)" in accepted_text
    contract = fresh(Contract, contract_id)
    assert contract.signed_at is not None
    assert contract.signer_name == "Erin Estimates" and contract.signer_ip == "127.0.0.1"
    expect(signature).to_contain_text(f"on {contract.signed_at:%d %b %Y %H:%M} (UTC)")
    staff_mail = db.session.execute(
        select(OutboxEmail.event, OutboxEmail.link).where(
            OutboxEmail.to_address == STAFF_EMAIL, OutboxEmail.event.startswith("staff_")
        )
    ).all()
    assert sorted(event for event, _ in staff_mail) == ["staff_contract_signed", "staff_estimate_decided"]


# -- 2. a ticket with an attachment, answered by staff -------------------------------------------------------


def test_contact_opens_a_ticket_with_a_file_and_staff_reply(uploads, live_server, new_page, screenshot, f, tmp_path):
    f.make_staff(email=STAFF_EMAIL, name="Sam Support")
    customer = f.make_customer("Acme Rockets")
    f.make_contact(customer, first_name="Tia", last_name="Tickets", email="tia@acme.example", permissions={"support"})
    attachment = tmp_path / "launch-log.txt"
    attachment.write_text("T-minus 10: the fuel gauge reads zero.\n", encoding="utf-8")

    contact = new_page()
    contact.goto(f"{live_server}/login")
    log_in(contact, "tia@acme.example")
    menu(contact).get_by_role("link", name="Support", exact=True).click()
    expect(contact.get_by_role("heading", name="Support tickets")).to_be_visible()
    contact.get_by_role("link", name="Open a ticket").click()
    expect(contact.get_by_role("heading", name="Open a ticket")).to_be_visible()
    contact.get_by_label("Subject").fill("Fuel gauge reads zero")
    contact.get_by_label("Priority").select_option(label="High")
    contact.get_by_label("Message").fill("The gauge reads zero although the tank is full. Log attached.")
    contact.get_by_label(re.compile(r"^Attachments")).set_input_files(attachment)
    expect(contact.get_by_label("Project")).to_have_count(0)  # no Projects permission
    screenshot(contact, "30-portal-open-ticket")
    contact.get_by_role("button", name="Open ticket").click()

    expect(contact.get_by_role("alert")).to_contain_text("is open. We will answer as soon as possible.")
    ticket_id = int(re.search(r"/tickets/(\d+)$", contact.url).group(1))
    expect(contact.get_by_role("heading", name=f"#{ticket_id} Fuel gauge reads zero")).to_be_visible()
    expect(contact.get_by_role("list", name="Attachments").get_by_role("link", name="launch-log.txt")).to_be_visible()

    contact.get_by_role("link", name="← Support").click()
    row = contact.get_by_role("row").filter(has=contact.get_by_role("link", name="Fuel gauge reads zero"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tia Tickets")
    expect(row).to_contain_text("High")
    screenshot(contact, "31-portal-ticket-list")
    contact.get_by_role("link", name="Fuel gauge reads zero").click()
    expect(contact).to_have_url(f"{live_server}/tickets/{ticket_id}")
    staff_reply = contact.get_by_text("Please restart the gauge controller; it is a known fault.")
    expect(staff_reply).to_have_count(0)

    # Staff, in their own browser context: the ticket in the admin area, the file, a reply.
    staff = new_page()
    staff.goto(f"{live_server}/admin/login")
    log_in(staff, STAFF_EMAIL)
    staff.get_by_role("navigation", name="Admin menu").get_by_role("link", name="Tickets", exact=True).click()
    expect(staff.get_by_role("heading", name="Tickets", exact=True)).to_be_visible()
    staff.get_by_role("link", name="Fuel gauge reads zero").click()
    expect(staff).to_have_url(f"{live_server}/admin/tickets/{ticket_id}")
    expect(staff.get_by_role("heading", name=f"#{ticket_id} Fuel gauge reads zero")).to_be_visible()
    expect(staff.get_by_text("Tia Tickets <tia@acme.example>")).to_be_visible()
    file_link = staff.get_by_role("list", name="Attachments").get_by_role("link", name="launch-log.txt")
    expect(file_link).to_be_visible()
    with staff.expect_download() as download_info:
        file_link.click()
    download = download_info.value
    assert download.suggested_filename == "launch-log.txt"
    assert download.failure() is None
    with open(download.path(), encoding="utf-8") as downloaded:
        assert downloaded.read() == attachment.read_text(encoding="utf-8")

    staff.get_by_label("Reply", exact=True).fill("Please restart the gauge controller; it is a known fault.")
    screenshot(staff, "32-admin-ticket-with-attachment")
    staff.get_by_role("button", name="Send reply").click()
    expect(staff.get_by_role("alert")).to_have_text("Reply sent.")
    expect(staff.get_by_text("Sam Support (staff)")).to_be_visible()
    assert staff.problems == []

    # The contact reloads its ticket and sees the staff reply.
    contact.reload()
    expect(staff_reply).to_be_visible()
    expect(contact.get_by_text(re.compile(r"^Sam Support \(support\)"))).to_be_visible()
    screenshot(contact, "33-portal-ticket-staff-reply")
    assert contact.problems == []

    ticket = fresh(Ticket, ticket_id)
    assert ticket.priority == "high"
    stored = db.session.scalars(select(StoredFile)).all()
    assert [s.original_name for s in stored] == ["launch-log.txt"]
    assert len(list(uploads.iterdir())) == 1


# -- 3. the primary contact invites a Support-only colleague -------------------------------------------------


def test_primary_contact_invites_a_support_only_colleague(app, live_server, new_page, screenshot, f):
    app.config["PUBLIC_BASE_URL"] = live_server
    set_settings({PRIMARY_MANAGES_CONTACTS: "1"})
    customer = f.make_customer("Acme Rockets")
    primary = f.make_contact(customer, first_name="Paula", last_name="Primary", email="paula@acme.example")
    assert primary.is_primary

    page = new_page()
    page.goto(f"{live_server}/login")
    log_in(page, "paula@acme.example")
    page.get_by_test_id("company-menu").click()
    expect(page.get_by_role("heading", name="Acme Rockets")).to_be_visible()
    page.get_by_role("link", name="Manage colleagues").click()
    expect(page.get_by_role("heading", name="Colleagues")).to_be_visible()
    screenshot(page, "40-portal-colleagues")
    page.get_by_role("link", name="Invite a colleague").click()
    expect(page.get_by_role("heading", name="Invite a colleague")).to_be_visible()

    page.get_by_label("First name").fill("Sid")
    page.get_by_label("Last name").fill("Support")
    page.get_by_label("Email", exact=True).fill("sid@acme.example")
    permissions = page.get_by_role("group", name="Permissions")
    for p in PERMISSIONS:
        permissions.get_by_role("checkbox", name=p.label, exact=True).set_checked(p.key == "support")
    notifications = page.get_by_role("group", name="Email notifications")
    for box in notifications.get_by_role("switch").all():
        expect(box).not_to_be_checked()
    screenshot(page, "41-portal-invite-support-only")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Sid Support is invited: we emailed sid@acme.example a link to choose a password."
    )
    row = page.get_by_test_id("colleagues-table").locator('tr[data-contact="sid@acme.example"]')
    expect(row).to_contain_text("Sid Support")
    expect(row.locator("td").nth(2)).to_have_text("Support")
    screenshot(page, "42-portal-colleague-invited")
    assert page.problems == []

    db.session.rollback()
    colleague = db.session.scalar(select(Contact).where(Contact.email == "sid@acme.example"))
    assert colleague.permissions == {"support"} and not colleague.is_primary
    invitation = db.session.scalar(select(OutboxEmail).where(OutboxEmail.event == "invitation"))
    assert invitation is not None and invitation.to_address == "sid@acme.example"
    assert re.fullmatch(rf"{re.escape(live_server)}/set-password/\S+", invitation.link), invitation.link
    assert invitation.link in invitation.text_body

    # The colleague, in a new browser context: chooses its password, logs in.
    sid = new_page()
    sid.goto(invitation.link)
    expect(sid.get_by_role("heading", name="Choose your password")).to_be_visible()
    expect(sid.get_by_text("sid@acme.example · Acme Rockets")).to_be_visible()
    sid.get_by_label("New password", exact=True).fill("sid's own launch code")
    sid.get_by_label("Repeat new password").fill("sid's own launch code")
    screenshot(sid, "43-portal-set-password")
    sid.get_by_role("button", name="Save password").click()
    expect(sid.get_by_role("alert")).to_have_text("Your password is set. You can log in now.")
    expect(sid).to_have_url(re.compile(r"/login$"))
    log_in(sid, "sid@acme.example", "sid's own launch code")
    expect(sid).to_have_url(re.compile(r"/dashboard$"))

    labels = [text.strip() for text in menu(sid).get_by_role("link").all_inner_texts()]
    assert labels == ["Dashboard", "Support"], labels
    features = menu(sid).locator("[data-feature]")
    expect(features).to_have_count(1)
    expect(features).to_have_attribute("data-feature", "support")
    expect(sid.get_by_test_id("company-menu")).to_have_count(0)  # not the primary contact
    screenshot(sid, "44-portal-colleague-menu-support-only")
    assert sid.problems == []
