"""Emailed links through HTTP: invitations, password resets, unsubscribe and links into the portal.

Every email is found as its outbox row (one per recipient); the test opens the path of the
row's link with the test client, as a person clicking it in a mail client would. Password
resets and unsubscribing have their own files (test_email_password_reset.py,
test_email_unsubscribe.py).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import request
from sqlalchemy import select

from core.extensions import db
from core.models import Contact
from core.notifications.notify import notify_invoice
from tests.conftest import login, sent_to_login, text
from tests.factories import PASSWORD
from tests.http.helpers import forms
from tests.http.helpers.email_links import (
    EXPIRED,
    NEW_PASSWORD,
    USED,
    fresh,
    invoice_email,
    old_password_token,
    only_email,
    outbox,
    path_of,
    set_password_via,
    tampered,
    token_of,
)

NOT_VALID = "This link is not valid"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def contact_form(**overrides) -> dict:
    """The admin's new-contact form without a password (the invitation sets it), with Invoices."""
    return forms.contact_form(**{"access": "invite", "password": "", "perm_invoices": "y", **overrides})


# -- 1. invitation -----------------------------------------------------------------------------


def test_invitation_link_sets_the_password_once(app, admin_client, client, f):
    customer = f.make_customer("Acme Ltd")
    response = admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form())
    assert response.status_code == 302, text(response)
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert contact is not None and contact.password_hash is None

    assert [(r.event, r.to_address) for r in outbox()] == [("invitation", "nina@example.com")]
    email = only_email("invitation", contact)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert email.link.startswith(f"{base}/set-password/")
    assert email.link in email.text_body and email.link in email.html_body
    path = path_of(email.link)

    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert 'name="password"' in text(response) and 'name="confirm"' in text(response)

    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something else entirely"})
    assert mismatch.status_code == 200 and "The passwords do not match." in text(mismatch)
    assert fresh(contact).password_hash is None

    response = set_password_via(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert fresh(contact).password_hash is not None
    assert outbox("password_changed") == []  # an invitation sets a first password: no alarm

    browser = app.test_client()
    response = login(browser, contact, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"

    for again in (client.get(path), set_password_via(client, path, "yet another passphrase")):
        assert again.status_code == 400
        assert again.headers["Referrer-Policy"] == "no-referrer"
        assert USED in text(again)
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302


def test_invitation_link_expires_after_48_hours(client, f, monkeypatch):
    contact = f.make_contact(password=None)
    still_valid = old_password_token(monkeypatch, "invitation", contact, 47 * 3600)
    assert client.get(f"/set-password/{still_valid}").status_code == 200

    expired = old_password_token(monkeypatch, "invitation", contact, 48 * 3600 + 5)
    for response in (client.get(f"/set-password/{expired}"), set_password_via(client, f"/set-password/{expired}")):
        assert response.status_code == 400
        assert EXPIRED in text(response)
    assert fresh(contact).password_hash is None


def test_tampered_and_cross_purpose_invitation_tokens_are_refused(admin_client, client, f):
    contact = f.make_contact(password=None)
    assert admin_client.post(f"/admin/contacts/{contact.id}/invite").status_code == 302
    token = token_of(only_email("invitation", contact).link)

    for bad in tampered(token):
        for response in (client.get(f"/set-password/{bad}"), set_password_via(client, f"/set-password/{bad}")):
            assert response.status_code == 400
            assert NOT_VALID in text(response)

    for response in (client.get(f"/reset-password/{token}"), set_password_via(client, f"/reset-password/{token}")):
        assert response.status_code == 400
        assert NOT_VALID in text(response)
    assert fresh(contact).password_hash is None
    assert client.get(f"/set-password/{token}").status_code == 200  # the real link still works


def test_admin_invite_action_queues_another_invitation(app, admin_client, f):
    customer = f.make_customer()
    admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form())
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert len(outbox("invitation", contact)) == 1

    response = admin_client.post(f"/admin/contacts/{contact.id}/invite")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/customers/{customer.id}/contacts"
    rows = outbox("invitation", contact)
    assert len(rows) == 2 and len(outbox()) == 2
    assert rows[1].link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/set-password/")
    assert app.test_client().get(path_of(rows[1].link)).status_code == 200

    # "Email nothing yet": creating a contact sends nothing.
    admin_client.post(
        f"/admin/customers/{customer.id}/contacts/new", data=contact_form(email="quiet@example.com", access="later")
    )
    assert db.session.scalar(select(Contact).where(Contact.email == "quiet@example.com")) is not None
    assert len(outbox()) == 2


# -- 3. Host header ----------------------------------------------------------------------------


def test_forged_host_header_does_not_reach_the_emailed_link(app, client, f):
    seen_hosts = []

    @app.before_request
    def record_host():
        seen_hosts.append(request.host)

    contact = f.make_contact()
    response = client.post(
        "/forgot-password",
        data={"email": contact.email},
        headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
    )
    assert response.status_code == 302
    assert seen_hosts == ["evil.example"]  # the forged header really reached the app

    email = only_email("password_reset", contact)
    assert email.link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/reset-password/")
    for part in (email.link, email.subject, email.text_body, email.html_body, email.unsubscribe_url):
        assert "evil.example" not in part


# -- 5. links into the portal ------------------------------------------------------------------


def test_invoice_link_goes_through_login_and_back(app, client, f):
    _, contact, invoice, email = invoice_email(f)
    assert path_of(email.link) == f"/invoices/{invoice.id}?login_hint={contact.email}"
    path = f"/invoices/{invoice.id}"

    # The recipient's address goes from the page's query to the login page's, filled in there.
    response = client.get(path_of(email.link))
    location = urlsplit(response.headers["Location"])
    assert response.status_code == 302 and location.path == "/login"
    assert parse_qs(location.query) == {"next": [path], "login_hint": [contact.email]}
    login_page = text(client.get(response.headers["Location"]))
    assert f'value="{path}"' in login_page and f'value="{contact.email}"' in login_page
    assert sent_to_login(client.get(path), path)  # without the hint, only the way back

    response = client.post("/login", data={"email": contact.email, "password": PASSWORD, "next": path})
    assert response.status_code == 302 and response.headers["Location"] == path
    response = client.get(path)
    assert response.status_code == 200 and invoice.number in text(response)


def test_invoice_link_for_another_customer_or_without_permission(app, f):
    customer, _, _, email = invoice_email(f)
    path = path_of(email.link)

    stranger = f.make_contact(f.make_customer("Other Corp"))
    other_client = app.test_client()
    login(other_client, stranger)
    assert other_client.get(path).status_code == 404

    colleague = f.make_contact(customer, permissions={"support"})
    colleague_client = app.test_client()
    login(colleague_client, colleague)
    assert colleague_client.get(path).status_code == 403


# -- 7. user data in emails --------------------------------------------------------------------


def test_user_data_is_escaped_in_html_and_literal_in_text(admin_client, f):
    customer = f.make_customer(f"{SCRIPT} Corp")
    contact = f.make_contact(customer, first_name=SCRIPT, permissions={"invoices"}, notifications={"invoice"})
    invoice = f.make_invoice(customer, number=SCRIPT)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    assert admin_client.post(f"/admin/contacts/{contact.id}/invite").status_code == 302

    invitation = only_email("invitation", contact)
    invoice_sent = only_email("invoice_sent", contact)
    for email in (invitation, invoice_sent):
        assert "<script" not in email.html_body.lower()
        assert ESCAPED_SCRIPT in email.html_body
        assert f"Hello {SCRIPT}," in email.text_body
    assert f"{SCRIPT} Corp" in invitation.text_body and f"{ESCAPED_SCRIPT} Corp" in invitation.html_body
    assert f"invoice {SCRIPT} over" in invoice_sent.text_body
    assert SCRIPT in invoice_sent.subject  # a plain-text header, not HTML
    assert f"<title>Invoice {ESCAPED_SCRIPT}" in invoice_sent.html_body


def test_header_injection_in_names_and_numbers_is_flattened(admin_client, client, f):
    customer = f.make_customer()
    contact = f.make_contact(customer, permissions={"invoices"}, notifications={"invoice"})
    contact.first_name = "Eve\r\nBcc: evil@example.com"
    contact.last_name = "Smith\nX-Injected: 1"
    db.session.commit()
    invoice = f.make_invoice(customer, number="INV\r\nBcc: evil@example.com")
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    admin_client.post(f"/admin/contacts/{contact.id}/invite")
    client.post("/forgot-password", data={"email": contact.email})

    rows = outbox(contact=contact)
    assert sorted(r.event for r in rows) == ["invitation", "invoice_sent", "password_reset"]
    for email in rows:
        for header in (email.subject, email.to_name, email.to_address, email.cc):
            assert "\r" not in header and "\n" not in header, (email.event, header)
    assert rows[0].to_name.startswith("Eve Bcc: evil@example.com")
    assert "INV Bcc: evil@example.com" in only_email("invoice_sent", contact).subject
