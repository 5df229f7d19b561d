"""Issue 18's passkey journeys in Chromium with a virtual authenticator (the DevTools protocol's
WebAuthn domain through Playwright's CDP session): a contact, then a staff member, logs in with
the password, adds a passkey in its account, logs out, and signs in with "Sign in with a
passkey" without typing the address.

The app is opened as http://localhost:<port>: WebAuthn needs a secure context (http://localhost
is one) and a domain as relying party id (an IP address is not one), and ``PUBLIC_BASE_URL`` is
that same origin. CSRF protection is on, as in production.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


@pytest.fixture
def base_url(app, live_server) -> str:
    url = live_server.replace("://127.0.0.1:", "://localhost:")
    app.config["PUBLIC_BASE_URL"] = url
    return url


def add_virtual_authenticator(page: Page):
    """A platform authenticator that holds discoverable credentials and verifies the user."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]
    return cdp, authenticator


def add_passkey_and_log_out(page: Page, cdp, authenticator: str, name: str) -> None:
    page.get_by_label("Passkey name").fill(name)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text(f"The passkey “{name}” is added.")
    expect(page.get_by_test_id("passkeys")).to_contain_text(name)
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert credential["isResidentCredential"] is True
    page.get_by_role("button", name="Log out").first.click()
    expect(page.get_by_role("alert")).to_contain_text("You are logged out.")


def test_contact_adds_a_passkey_and_signs_in_with_it(base_url, page, screenshot, f):
    f.make_contact(first_name="Anna", last_name="Schmidt", email="anna@acme.example")
    cdp, authenticator = add_virtual_authenticator(page)
    page.goto(f"{base_url}/login")
    log_in(page, "anna@acme.example")
    page.goto(f"{base_url}/profile")
    page.get_by_role("link", name="Passkeys").click()
    expect(page.get_by_role("heading", name="Passkeys", exact=True)).to_be_visible()
    add_passkey_and_log_out(page, cdp, authenticator, "Anna's laptop")

    expect(page.get_by_label("Email", exact=True)).to_have_value("")
    screenshot(page, "33-portal-login-with-passkey-button")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{base_url}/dashboard")
    page.goto(f"{base_url}/profile/passkeys")
    expect(page.get_by_test_id("passkeys")).not_to_contain_text("Never")
    screenshot(page, "34-portal-passkeys")
    assert page.problems == []


def test_staff_member_adds_a_passkey_and_signs_in_with_it(base_url, page, f):
    f.make_staff(email="sue@example.com", name="Sue Staff")
    cdp, authenticator = add_virtual_authenticator(page)
    page.goto(f"{base_url}/admin/login")
    log_in(page, "sue@example.com")
    expect(page).to_have_url(re.compile(r"/admin/customers"))
    page.goto(f"{base_url}/admin/account/two-factor")
    page.get_by_role("link", name=re.compile("^Passkeys")).click()
    add_passkey_and_log_out(page, cdp, authenticator, "Sue's desk")

    expect(page).to_have_url(f"{base_url}/admin/login")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page).to_have_url(f"{base_url}/admin/customers")
    assert page.problems == []
