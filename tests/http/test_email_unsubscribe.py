"""Unsubscribing and notification preferences: a notification email's unsubscribe link (GET
changes nothing, POST switches only that toggle), tampered tokens, personal emails without the
link, and the toggles on the profile, only for permitted features."""

from __future__ import annotations

import re

import pytest

from core.catalogs import NOTIFICATIONS
from core.tokens import make_password_token
from tests.conftest import login, text
from tests.http.helpers.email_links import fresh, invoice_email, outbox, path_of, tampered, token_of

# -- 4. unsubscribe ----------------------------------------------------------------------------


def test_notification_email_has_link_company_and_unsubscribe_url(app, f):
    _, contact, invoice, email = invoice_email(f)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert email.notification == "invoice"
    assert email.link == f"{base}/invoices/{invoice.id}?login_hint={contact.email}"
    assert email.unsubscribe_url.startswith(f"{base}/unsubscribe/")
    company = app.config["COMPANY_NAME"]
    for body in (email.text_body, email.html_body):
        assert email.link in body and email.unsubscribe_url in body and company in body
        assert invoice.number in body
    assert f'href="{email.link}"' in email.html_body
    assert f'href="{email.unsubscribe_url}"' in email.html_body


def test_unsubscribe_get_changes_nothing_post_switches_only_that_toggle(app, client, f):
    _, contact, _, email = invoice_email(f, notifications=("invoice", "credit_note"))
    path = path_of(email.unsubscribe_url)

    response = client.get(path)
    assert response.status_code == 200 and response.headers["Referrer-Policy"] == "no-referrer"
    assert "Invoice" in text(response) and contact.email in text(response)
    assert fresh(contact).notifications == {"invoice", "credit_note"}

    response = client.post(path)
    assert response.status_code == 200
    assert "no longer receives" in text(response)
    assert fresh(contact).notifications == {"credit_note"}
    assert fresh(contact).permissions == {"invoices"}

    assert client.post(path).status_code == 200  # a second click is harmless
    assert fresh(contact).notifications == {"credit_note"}


def test_tampered_unsubscribe_token_is_refused(client, f):
    _, contact, _, email = invoice_email(f)
    token = token_of(email.unsubscribe_url)
    for bad in tampered(token):
        for method in ("GET", "POST"):
            response = client.open(f"/unsubscribe/{bad}", method=method)
            assert response.status_code == 400
            assert "This unsubscribe link is not valid." in text(response)
    # A password token is no unsubscribe token either.
    response = client.post(f"/unsubscribe/{make_password_token('password_reset', contact)}")
    assert response.status_code == 400
    assert fresh(contact).notifications == {"invoice"}


@pytest.mark.csrf
def test_one_click_unsubscribe_needs_no_csrf_token_but_other_forms_do(client, f):
    _, contact, _, email = invoice_email(f)
    response = client.post(path_of(email.unsubscribe_url))
    assert response.status_code == 200
    assert fresh(contact).notifications == set()

    response = client.post("/forgot-password", data={"email": contact.email})
    assert response.status_code == 400
    assert outbox("password_reset") == []


def test_personal_emails_have_no_unsubscribe_link(admin_client, client, f):
    contact = f.make_contact(notifications={"invoice"})
    admin_client.post(f"/admin/contacts/{contact.id}/invite")
    client.post("/forgot-password", data={"email": contact.email})
    rows = outbox(contact=contact)
    assert sorted(r.event for r in rows) == ["invitation", "password_reset"]
    for email in rows:
        assert email.notification is None and email.unsubscribe_url == ""
        assert "/unsubscribe/" not in email.text_body + email.html_body
        assert "unsubscribe" not in (email.text_body + email.html_body).lower()


# -- 6. notification preferences on the profile ------------------------------------------------


def _preferences_form(body: str) -> str:
    match = re.search(r'data-testid="notification-preferences".*?</form>', body, re.S)
    assert match, "no notification preferences form"
    return match.group(0)


def _checked(form_html: str) -> set[str]:
    """The notification keys whose switch is on in the preferences form."""
    on = set()
    for tag in re.findall(r"<input[^>]*>", form_html):
        name = re.search(r'name="notify-([a-z_]+)"', tag)
        if name and re.search(r"\schecked(\s|=|>|/)", tag):
            on.add(name.group(1))
    return on


def test_profile_lists_only_permitted_notifications(client, f):
    contact = f.make_contact(permissions={"invoices"}, notifications={"credit_note"})
    login(client, contact)
    form = _preferences_form(text(client.get("/profile")))
    assert set(re.findall(r'name="notify-([a-z_]+)"', form)) == {"invoice", "credit_note"}
    labels = set(re.findall(r'<label[^>]*for="notify-[a-z_]+"[^>]*>\s*([^<]+?)\s*</label>', form))
    assert labels == {n.label for n in NOTIFICATIONS if n.permission == "invoices"}
    assert _checked(form) == {"credit_note"}


def test_profile_preferences_switch_toggles_on_and_off(client, f):
    contact = f.make_contact(permissions={"invoices", "support"}, notifications={"credit_note"})
    login(client, contact)

    response = client.post("/profile/notifications", data={"notify-invoice": "y", "notify-ticket": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert fresh(contact).notifications == {"invoice", "ticket"}
    assert _checked(_preferences_form(text(client.get("/profile")))) == {"invoice", "ticket"}

    client.post("/profile/notifications", data={})
    assert fresh(contact).notifications == set()


def test_profile_preferences_cannot_switch_on_a_feature_the_contact_lacks(client, f):
    contact = f.make_contact(permissions={"invoices"}, notifications=set())
    login(client, contact)
    data = {f"notify-{n.key}": "y" for n in NOTIFICATIONS}
    response = client.post("/profile/notifications", data=data)
    assert response.status_code == 302
    assert fresh(contact).notifications == {"invoice", "credit_note"}

    client.post("/profile/notifications", data={"notify-project": "y"})
    assert fresh(contact).notifications == set()
