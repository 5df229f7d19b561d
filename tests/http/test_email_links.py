"""Emailed links through HTTP: invitations, password resets, unsubscribe and links into the portal.

Every email is found as its outbox row (one per recipient); the test opens the path of the
row's link with the test client, as a person clicking it in a mail client would.
"""

from __future__ import annotations

import re
import threading
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import itsdangerous.timed
import pytest
from flask import request
from sqlalchemy import event, func, select

from core.catalogs import NOTIFICATIONS
from core.extensions import db
from core.mail.dispatch import dispatch_all
from core.models import Contact, OutboxEmail, PasswordResetRequest
from core.notifications.notify import notify_invoice
from core.services.passwords import prepare_reset_emails
from core.tokens import make_password_token
from tests.conftest import login
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
RESET_REQUESTED = "If an account uses this address, we have sent it an email"
USED = "already been used"
EXPIRED = "This link has expired"
NOT_VALID = "This link is not valid"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


# -- helpers -----------------------------------------------------------------------------------


def outbox(event: str | None = None, contact: Contact | None = None) -> list[OutboxEmail]:
    """The committed outbox rows (of ``event``, to ``contact``), oldest first."""
    db.session.expire_all()
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if event is not None:
        stmt = stmt.where(OutboxEmail.event == event)
    if contact is not None:
        stmt = stmt.where(OutboxEmail.contact_id == contact.id)
    return list(db.session.scalars(stmt))


def only_email(event: str, contact: Contact) -> OutboxEmail:
    rows = outbox(event, contact)
    assert len(rows) == 1, [(r.event, r.to_address) for r in rows]
    return rows[0]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def token_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


def tampered(token: str) -> list[str]:
    """Copies of ``token`` with one character changed: in the payload, and inside the signature.

    (The very last character is avoided: its low bits are base64 padding and may not matter.)
    """
    copies = []
    for index in (1, len(token) - 6):
        old = token[index]
        new = "A" if old != "A" else "B"
        copies.append(token[:index] + new + token[index + 1 :])
    return copies


def old_password_token(monkeypatch, purpose: str, contact: Contact, age_seconds: int) -> str:
    """A password token made ``age_seconds`` ago (itsdangerous reads the clock when signing)."""
    past = time.time() - age_seconds
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: past))
        return make_password_token(purpose, contact)


def fresh(contact: Contact) -> Contact:
    """Re-read ``contact``: requests change it in their own database session."""
    db.session.expire_all()
    db.session.refresh(contact)
    return contact


def page(response) -> str:
    return response.get_data(as_text=True)


def set_password_via(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def is_login_redirect(response, next_path: str | None = None) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    if (location.scheme, location.netloc, location.path) != ("", "", "/login"):
        return False
    return next_path is None or parse_qs(location.query) == {"next": [next_path]}


def invoice_email(f, *, permissions=("invoices",), notifications=("invoice",), number=None):
    """A customer, its contact with the Invoice toggle, an invoice and its invoice_sent email."""
    customer = f.make_customer("Acme Ltd")
    contact = f.make_contact(customer, permissions=set(permissions), notifications=set(notifications))
    invoice = f.make_invoice(customer, number=number)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    return customer, contact, invoice, only_email("invoice_sent", contact)


def contact_form(**overrides) -> dict:
    form = {
        "first_name": "Nina",
        "last_name": "Neu",
        "email": "nina@example.com",
        "phone": "",
        "position": "",
        "password": "",
        "active": "y",
        "perm_invoices": "y",
    }
    form.update(overrides)
    return form


# -- 1. invitation -----------------------------------------------------------------------------


def test_invitation_link_sets_the_password_once(app, admin_client, client, f):
    customer = f.make_customer("Acme Ltd")
    response = admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form(send_invitation="y"))
    assert response.status_code == 302, page(response)
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
    assert 'name="password"' in page(response) and 'name="confirm"' in page(response)

    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something else entirely"})
    assert mismatch.status_code == 200 and "The passwords do not match." in page(mismatch)
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
        assert USED in page(again)
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302


def test_invitation_link_expires_after_48_hours(client, f, monkeypatch):
    contact = f.make_contact(password=None)
    still_valid = old_password_token(monkeypatch, "invitation", contact, 47 * 3600)
    assert client.get(f"/set-password/{still_valid}").status_code == 200

    expired = old_password_token(monkeypatch, "invitation", contact, 48 * 3600 + 5)
    for response in (client.get(f"/set-password/{expired}"), set_password_via(client, f"/set-password/{expired}")):
        assert response.status_code == 400
        assert EXPIRED in page(response)
    assert fresh(contact).password_hash is None


def test_tampered_and_cross_purpose_invitation_tokens_are_refused(admin_client, client, f):
    contact = f.make_contact(password=None)
    assert admin_client.post(f"/admin/contacts/{contact.id}/invite").status_code == 302
    token = token_of(only_email("invitation", contact).link)

    for bad in tampered(token):
        for response in (client.get(f"/set-password/{bad}"), set_password_via(client, f"/set-password/{bad}")):
            assert response.status_code == 400
            assert NOT_VALID in page(response)

    for response in (client.get(f"/reset-password/{token}"), set_password_via(client, f"/reset-password/{token}")):
        assert response.status_code == 400
        assert NOT_VALID in page(response)
    assert fresh(contact).password_hash is None
    assert client.get(f"/set-password/{token}").status_code == 200  # the real link still works


def test_admin_invite_action_queues_another_invitation(app, admin_client, f):
    customer = f.make_customer()
    admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form(send_invitation="y"))
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert len(outbox("invitation", contact)) == 1

    response = admin_client.post(f"/admin/contacts/{contact.id}/invite")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/customers/{customer.id}/contacts"
    rows = outbox("invitation", contact)
    assert len(rows) == 2 and len(outbox()) == 2
    assert rows[1].link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/set-password/")
    assert app.test_client().get(path_of(rows[1].link)).status_code == 200

    # Without the box, creating a contact sends nothing.
    admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form(email="quiet@example.com"))
    assert db.session.scalar(select(Contact).where(Contact.email == "quiet@example.com")) is not None
    assert len(outbox()) == 2


# -- 2. password reset -------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(app, f):
    contact = f.make_contact(email="known@example.com")
    answers = []
    for address in ("unknown@example.com", "known@example.com"):
        browser = app.test_client()
        response = browser.post("/forgot-password", data={"email": address})
        following = browser.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], following.status_code, page(following)))
        if address.startswith("unknown"):
            assert outbox() == []
    assert answers[0] == answers[1]
    assert answers[0][:3] == (302, "/login", 200)
    assert RESET_REQUESTED in answers[0][3]

    email = only_email("password_reset", contact)
    assert [r.event for r in outbox()] == ["password_reset"]
    assert email.to_address == "known@example.com"
    assert email.link.startswith(app.config["PUBLIC_BASE_URL"].rstrip("/") + "/reset-password/")


def test_reset_link_works_once(app, client, f):
    contact = f.make_contact()
    client.post("/forgot-password", data={"email": contact.email})
    path = path_of(only_email("password_reset", contact).link)

    response = client.get(path)
    assert response.status_code == 200 and response.headers["Referrer-Policy"] == "no-referrer"
    response = set_password_via(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), contact, PASSWORD).status_code == 200  # the old one is gone

    again = set_password_via(client, path, "yet another passphrase")
    assert again.status_code == 400 and USED in page(again)
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302


def test_reset_link_expires_after_one_hour_not_before(client, f, monkeypatch):
    contact = f.make_contact()
    expired = old_password_token(monkeypatch, "password_reset", contact, 3600 + 5)
    response = client.get(f"/reset-password/{expired}")
    assert response.status_code == 400 and EXPIRED in page(response)
    response = set_password_via(client, f"/reset-password/{expired}")
    assert response.status_code == 400 and EXPIRED in page(response)

    recent = old_password_token(monkeypatch, "password_reset", contact, 59 * 60)
    assert client.get(f"/reset-password/{recent}").status_code == 200
    assert set_password_via(client, f"/reset-password/{recent}").status_code == 302
    assert login(client, contact, NEW_PASSWORD).status_code == 302


def test_changing_the_password_in_the_profile_kills_an_older_reset_link(app, client, f):
    contact = f.make_contact()
    client.post("/forgot-password", data={"email": contact.email})
    path = path_of(only_email("password_reset", contact).link)
    assert client.get(path).status_code == 200

    browser = app.test_client()
    login(browser, contact)
    response = browser.post(
        "/profile/password",
        data={
            "password-current_password": PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/profile"

    response = client.get(path)
    assert response.status_code == 400 and USED in page(response)
    response = set_password_via(client, path, "an attacker's passphrase")
    assert response.status_code == 400
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302


def test_using_a_reset_link_ends_sessions_and_sends_a_notice(app, client, f):
    contact = f.make_contact()
    logged_in = app.test_client()
    login(logged_in, contact)
    assert logged_in.get("/dashboard").status_code == 200

    client.post("/forgot-password", data={"email": contact.email})
    path = path_of(only_email("password_reset", contact).link)
    assert set_password_via(client, path).status_code == 302

    assert is_login_redirect(logged_in.get("/dashboard"), "/dashboard")
    notice = only_email("password_changed", contact)
    assert notice.notification is None and notice.unsubscribe_url == ""
    assert notice.to_address == contact.email


def test_inactive_contact_or_customer_gets_no_reset_email(client, f):
    f.make_contact(email="sleeper@example.com", active=False)
    dormant = f.make_customer("Dormant Inc", active=False)
    f.make_contact(dormant, email="dormant@example.com")
    for address in ("sleeper@example.com", "dormant@example.com"):
        response = client.post("/forgot-password", data={"email": address})
        assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert outbox() == []


def _statements_of_the_request(app, client, address: str) -> tuple[list[str], object]:
    """The SQL the request for ``address`` ran up to its response (before the server closes it)."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        response = client.post("/forgot-password", data={"email": address}, buffered=False)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    return seen, response


def test_forgot_password_does_the_same_work_for_known_and_unknown_addresses(app, f):
    contact = f.make_contact(email="known@example.com")
    runs = {}
    for address in ("nobody@example.com", "known@example.com"):
        statements, response = _statements_of_the_request(app, app.test_client(), address)
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        # The answer exists before anything depends on the address: no email, no token yet.
        assert outbox() == []
        runs[address] = statements
        response.close()  # what the server does after sending: the mail flush runs now
    assert runs["nobody@example.com"] == runs["known@example.com"]
    assert not any("contacts" in statement for statement in runs["known@example.com"])
    assert only_email("password_reset", contact).to_address == "known@example.com"
    assert [r.event for r in outbox()] == ["password_reset"]
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0


def test_reset_requests_wait_for_the_dispatcher_and_its_link_works(app, client, f):
    app.config["MAIL_FLUSH_AFTER_REQUEST"] = False  # production: a separate dispatcher delivers
    contact = f.make_contact()
    f.make_contact(email="sleeper@example.com", active=False)
    for address in (contact.email.upper(), "nobody@example.com", "sleeper@example.com"):
        assert client.post("/forgot-password", data={"email": address}).status_code == 302
    assert outbox() == []
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 3

    dispatch_all()
    assert [(r.event, r.to_address) for r in outbox()] == [("password_reset", contact.email)]
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0
    path = path_of(only_email("password_reset", contact).link)
    assert set_password_via(client, path).status_code == 302
    assert login(app.test_client(), contact, NEW_PASSWORD).status_code == 302
    assert set_password_via(client, path, "yet another passphrase").status_code == 400  # single use


def test_two_dispatchers_turn_one_reset_request_into_one_email(app, client, f):
    app.config["MAIL_FLUSH_AFTER_REQUEST"] = False
    contact = f.make_contact()
    client.post("/forgot-password", data={"email": contact.email})
    start, queued = threading.Barrier(3), []

    def dispatcher():
        with app.app_context():
            start.wait()
            queued.append(prepare_reset_emails())
            db.session.remove()

    threads = [threading.Thread(target=dispatcher) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(queued) == [0, 0, 1]
    only_email("password_reset", contact)


def test_reset_requests_stay_throttled_per_address_and_per_ip(app, f):
    contact = f.make_contact()
    statuses = []
    for index in range(6):  # one address from six clients: the per-account limit (5 a minute)
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.1.0.{index}"
        statuses.append(browser.post("/forgot-password", data={"email": contact.email}).status_code)
    assert statuses == [302] * 5 + [429]

    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.2.0.1"
    statuses = [browser.post("/forgot-password", data={"email": f"x{i}@example.com"}).status_code for i in range(4)]
    assert statuses == [302, 302, 302, 429]


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


# -- 4. unsubscribe ----------------------------------------------------------------------------


def test_notification_email_has_link_company_and_unsubscribe_url(app, f):
    _, contact, invoice, email = invoice_email(f)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    assert email.notification == "invoice"
    assert email.link == f"{base}/invoices/{invoice.id}"
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
    assert "Invoice" in page(response) and contact.email in page(response)
    assert fresh(contact).notifications == {"invoice", "credit_note"}

    response = client.post(path)
    assert response.status_code == 200
    assert "no longer receives" in page(response)
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
            assert "This unsubscribe link is not valid." in page(response)
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


# -- 5. links into the portal ------------------------------------------------------------------


def test_invoice_link_goes_through_login_and_back(app, client, f):
    _, contact, invoice, email = invoice_email(f)
    path = path_of(email.link)
    assert path == f"/invoices/{invoice.id}"

    response = client.get(path)
    assert is_login_redirect(response, path), response.headers.get("Location")
    login_page = client.get(response.headers["Location"])
    assert login_page.status_code == 200 and f'value="{path}"' in page(login_page)

    response = client.post("/login", data={"email": contact.email, "password": PASSWORD, "next": path})
    assert response.status_code == 302 and response.headers["Location"] == path
    response = client.get(path)
    assert response.status_code == 200 and invoice.number in page(response)


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
    form = _preferences_form(page(client.get("/profile")))
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
    assert _checked(_preferences_form(page(client.get("/profile")))) == {"invoice", "ticket"}

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
