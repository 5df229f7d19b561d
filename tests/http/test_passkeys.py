"""Passkeys (WebAuthn) for contacts and staff, against a software authenticator with real keys
(tests/webauthn_authenticator.py) and the real ``webauthn`` library on the server.

Adding, listing, renaming and removing them; signing in without an address, landing on the
start page or a safe ``next``, with no code asked afterwards; and the attacks: another
person's passkey or user handle, the other area's passkey, a replayed answer, a phishing
origin, a deactivated contact, throttling, malformed JSON, missing CSRF token.
"""

from __future__ import annotations

import json

import pyotp
import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Passkey, PasskeyChallenge, StaffUser
from core.services.settings import REQUIRE_STAFF_TWO_FACTOR, set_settings
from tests.conftest import count, login, text
from tests.factories import PASSWORD
from tests.webauthn_authenticator import SoftwareAuthenticator, b64url

ORIGIN = "https://portal.example.com"
NOT_RECOGNISED = "This passkey was not recognised here."


@pytest.fixture(autouse=True)
def public_url(app):
    app.config["PUBLIC_BASE_URL"] = ORIGIN + "/"


def options(client, url: str) -> dict:
    response = client.post(url, json={})
    assert response.status_code == 200, text(response)
    return response.get_json()


def add_passkey(client, device: SoftwareAuthenticator, *, area: str = "portal", name: str = "Work laptop"):
    """Run the adding ceremony on the logged-in ``client``; returns the server's answer."""
    base = "/profile/passkeys" if area == "portal" else "/admin/account/passkeys"
    credential = device.create(options(client, f"{base}/options"), ORIGIN)
    return client.post(f"{base}/new", json={"credential": credential, "name": name})


def sign_in(client, device: SoftwareAuthenticator, *, area: str = "portal", origin: str = ORIGIN, **body):
    """Run the sign-in ceremony on ``client``; returns (the server's answer, the posted body)."""
    base = "/login/passkey" if area == "portal" else "/admin/login/passkey"
    answer = {"credential": device.get(options(client, f"{base}/options"), origin), **body}
    return client.post(base, json=answer), answer


def passkeys_of_contact(contact) -> list[Passkey]:
    db.session.expire_all()
    return db.session.scalars(select(Passkey).where(Passkey.contact_id == contact.id)).all()


@pytest.fixture
def anna(f, client):
    """A contact logged in on ``client`` with one passkey on ``anna.device``."""
    contact = f.make_contact(first_name="Anna", email="anna@acme.example")
    login(client, contact)
    contact.device = SoftwareAuthenticator()
    response = add_passkey(client, contact.device)
    assert response.status_code == 200, text(response)
    assert response.get_json() == {"redirect": "/profile/passkeys"}
    return contact


# -- adding, listing, renaming, removing -----------------------------------------------------------


def test_a_contact_adds_a_passkey_and_sees_it_listed(client, anna):
    page = text(client.get("/profile/passkeys"))
    assert "The passkey “Work laptop” is added." in page
    assert "Work laptop" in page and "Never" in page
    [passkey] = passkeys_of_contact(anna)
    assert passkey.credential_id == b64url(anna.device.credentials[0].credential_id)
    assert passkey.transports == "internal" and passkey.last_used_at is None
    # The user handle is random: neither the id nor the address goes to the device.
    handle = anna.device.credentials[0].user_handle
    assert len(handle) == 32 and str(anna.id).encode() != handle and anna.email.encode() not in handle
    assert count(AuditEntry, AuditEntry.action == "passkey.added") == 1
    assert "/profile/passkeys" in text(client.get("/profile"))


def test_the_options_exclude_passkeys_already_registered_and_require_a_discoverable_one(client, anna):
    offered = options(client, "/profile/passkeys/options")
    assert offered["excludeCredentials"] == [
        {"id": b64url(anna.device.credentials[0].credential_id), "type": "public-key", "transports": ["internal"]}
    ]
    assert offered["authenticatorSelection"]["residentKey"] == "required"
    assert offered["authenticatorSelection"]["userVerification"] == "preferred"
    assert offered["rp"]["id"] == "portal.example.com"
    # The same device again is refused by the authenticator itself (InvalidStateError in a browser).
    with pytest.raises(ValueError, match="InvalidStateError"):
        anna.device.create(offered, ORIGIN)


def test_the_same_credential_posted_twice_is_stored_once(client, f):
    contact = f.make_contact()
    login(client, contact)
    device = SoftwareAuthenticator()
    credential = device.create(options(client, "/profile/passkeys/options"), ORIGIN)
    assert client.post("/profile/passkeys/new", json={"credential": credential, "name": "A"}).status_code == 200
    again = client.post("/profile/passkeys/new", json={"credential": credential, "name": "A"})
    assert again.status_code == 400 and "expired or was already used" in again.get_json()["error"]
    assert len(passkeys_of_contact(contact)) == 1


def test_a_passkey_needs_a_name_of_at_most_80_characters(client, f):
    contact = f.make_contact()
    login(client, contact)
    device = SoftwareAuthenticator()
    for name, message in (("  ", "Give the passkey a name"), ("x" * 81, "at most 80 characters")):
        response = add_passkey(client, device, name=name)
        assert response.status_code == 400 and message in response.get_json()["error"]
    assert passkeys_of_contact(contact) == []


def test_rename_and_remove_own_passkey(client, anna):
    [passkey] = passkeys_of_contact(anna)
    response = client.post(f"/profile/passkeys/{passkey.id}/rename", data={"rename-name": "  Phone  "})
    assert response.location == "/profile/passkeys"
    assert "Passkey renamed." in text(client.get("/profile/passkeys"))
    assert passkeys_of_contact(anna)[0].name == "Phone"
    empty = client.post(f"/profile/passkeys/{passkey.id}/rename", data={"rename-name": ""})
    assert empty.location == "/profile/passkeys" and passkeys_of_contact(anna)[0].name == "Phone"

    assert client.post(f"/profile/passkeys/{passkey.id}/remove").location == "/profile/passkeys"
    assert "Passkey removed." in text(client.get("/profile/passkeys"))
    assert passkeys_of_contact(anna) == []
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("passkey.%"))).all()
    assert sorted(actions) == ["passkey.added", "passkey.removed", "passkey.renamed"]
    # The removed passkey no longer signs in.
    response, _body = sign_in(client, anna.device)
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]


def test_another_persons_passkey_cannot_be_renamed_or_removed(app, client, anna, f):
    [passkey] = passkeys_of_contact(anna)
    other = app.test_client()
    login(other, f.make_contact(customer=anna.customer))
    assert other.post(f"/profile/passkeys/{passkey.id}/rename", data={"rename-name": "Mine"}).status_code == 404
    assert other.post(f"/profile/passkeys/{passkey.id}/remove").status_code == 404
    staff = app.test_client()
    staff.post("/admin/login", data={"email": f.make_staff().email, "password": PASSWORD})
    assert staff.post(f"/admin/account/passkeys/{passkey.id}/remove").status_code == 404
    assert len(passkeys_of_contact(anna)) == 1


# -- signing in ------------------------------------------------------------------------------------


def test_sign_in_without_an_address_lands_on_the_dashboard(app, anna):
    browser = app.test_client()
    assert "Sign in with a passkey" in text(browser.get("/login"))
    response, _body = sign_in(browser, anna.device)
    assert response.status_code == 200, text(response)
    assert response.get_json() == {"redirect": "/dashboard"}
    assert browser.get("/dashboard").status_code == 200
    [passkey] = passkeys_of_contact(anna)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.succeeded")).all()[-1]
    assert json.loads(entry.details)["method"] == "passkey"


def test_sign_in_lands_on_a_safe_next_page_only(app, anna):
    browser = app.test_client()
    response, _body = sign_in(browser, anna.device, next="/invoices?status=unpaid")
    assert response.get_json() == {"redirect": "/invoices?status=unpaid"}
    for evil in ("//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        response, _body = sign_in(app.test_client(), anna.device, next=evil)
        assert response.get_json() == {"redirect": "/dashboard"}, evil


def test_the_login_page_hands_its_next_page_to_the_passkey_button(client):
    page = text(client.get("/login?next=/invoices"))
    assert 'data-next="/invoices"' in page and "js/passkeys.js" in page
    assert 'data-next=""' in text(client.get("/login?next=//evil.example"))


def test_a_passkey_sign_in_asks_no_code_even_with_two_factor_on(app, anna):
    anna.totp_secret = pyotp.random_base32()
    db.session.commit()
    browser = app.test_client()
    assert login(browser, anna).location == "/login/verify"  # the password still needs the code
    response, _body = sign_in(browser, anna.device)
    assert response.get_json() == {"redirect": "/dashboard"}
    assert browser.get("/dashboard").status_code == 200


def test_staff_with_two_factor_sign_in_with_a_passkey_without_a_code_and_land_on_next(app, admin_client, f):
    device = SoftwareAuthenticator()
    assert add_passkey(admin_client, device, area="admin").status_code == 200
    staff = db.session.scalars(select(StaffUser)).one()
    staff.totp_secret = pyotp.random_base32()
    db.session.commit()
    browser = app.test_client()
    response, _body = sign_in(browser, device, area="admin", next="/admin/payments")
    assert response.get_json() == {"redirect": "/admin/payments"}
    assert browser.get("/admin/payments").status_code == 200


def test_the_session_is_renewed_at_a_passkey_sign_in(app, anna, f):
    browser = app.test_client()
    login(browser, f.make_contact())  # someone else was logged in in this browser
    response, _body = sign_in(browser, anna.device)
    assert response.status_code == 200
    assert "Anna" in text(browser.get("/profile"))


# -- attacks ---------------------------------------------------------------------------------------


def test_a_replayed_answer_is_refused(app, anna):
    browser = app.test_client()
    response, body = sign_in(browser, anna.device)
    assert response.status_code == 200
    # The same answer again, on a session still holding that challenge (the cookie captured
    # before the sign-in) and on the current one: the challenge is used up either way.
    for replay in (app.test_client(), browser):
        replay.post("/login/passkey/options", json={})
        again = replay.post("/login/passkey", json=body)
        assert again.status_code == 400
    assert passkeys_of_contact(anna)[0].sign_count == 1


def test_a_replay_with_the_old_session_cookie_is_refused(app, anna):
    browser = app.test_client()
    offered = options(browser, "/login/passkey/options")
    cookie = browser.get_cookie("session").value
    body = {"credential": anna.device.get(offered, ORIGIN)}
    assert browser.post("/login/passkey", json=body).status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", cookie)  # the signed cookie still names the challenge
    again = thief.post("/login/passkey", json=body)
    assert again.status_code == 400 and "expired or was already used" in again.get_json()["error"]
    assert thief.get("/dashboard").status_code == 302


def test_an_answer_for_another_challenge_is_refused(app, anna):
    browser = app.test_client()
    first = options(browser, "/login/passkey/options")
    options(browser, "/login/passkey/options")  # a newer ceremony replaces the first
    response = browser.post("/login/passkey", json={"credential": anna.device.get(first, ORIGIN)})
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]
    assert browser.get("/dashboard").status_code == 302


def test_a_wrong_origin_is_refused(app, anna):
    response, _body = sign_in(app.test_client(), anna.device, origin="https://portal.example.com.evil.example")
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]
    failed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login.failed")).all()
    assert [json.loads(e.details)["method"] for e in failed] == ["passkey"]


def test_a_wrong_origin_cannot_add_a_passkey(client, f):
    contact = f.make_contact()
    login(client, contact)
    credential = SoftwareAuthenticator().create(options(client, "/profile/passkeys/options"), "https://evil.example")
    response = client.post("/profile/passkeys/new", json={"credential": credential, "name": "Evil"})
    assert response.status_code == 400 and "could not be verified" in response.get_json()["error"]
    assert passkeys_of_contact(contact) == []


def test_one_contacts_passkey_never_signs_in_another(app, anna, f):
    bob = f.make_contact(first_name="Bob")
    bob_browser = app.test_client()
    login(bob_browser, bob)
    bob.device = SoftwareAuthenticator()
    assert add_passkey(bob_browser, bob.device).status_code == 200

    # Anna's credential presented with Bob's user handle: refused, nobody logged in.
    browser = app.test_client()
    body = {"credential": anna.device.get(options(browser, "/login/passkey/options"), ORIGIN)}
    body["credential"]["response"]["userHandle"] = b64url(bob.device.credentials[0].user_handle)
    response = browser.post("/login/passkey", json=body)
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]
    assert browser.get("/dashboard").status_code == 302

    # Anna's signature under Bob's credential id: refused (the key is Bob's).
    browser = app.test_client()
    body = {"credential": anna.device.get(options(browser, "/login/passkey/options"), ORIGIN)}
    bob_id = b64url(bob.device.credentials[0].credential_id)
    body["credential"].update(id=bob_id, rawId=bob_id)
    body["credential"]["response"]["userHandle"] = b64url(bob.device.credentials[0].user_handle)
    assert browser.post("/login/passkey", json=body).status_code == 400
    assert browser.get("/dashboard").status_code == 302

    # Each one's own passkey signs in that one.
    browser = app.test_client()
    assert sign_in(browser, bob.device)[0].status_code == 200
    assert "Bob" in text(browser.get("/profile"))


def test_a_staff_passkey_does_not_open_the_customer_area_and_back(app, admin_client, anna):
    staff_device = SoftwareAuthenticator()
    assert add_passkey(admin_client, staff_device, area="admin").status_code == 200

    browser = app.test_client()
    response, _body = sign_in(browser, staff_device, area="portal")
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]
    response, _body = sign_in(browser, anna.device, area="admin")
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]
    assert browser.get("/dashboard").status_code == 302
    assert browser.get("/admin/customers").status_code == 302

    response, _body = sign_in(browser, staff_device, area="admin")
    assert response.get_json() == {"redirect": "/admin/customers"}
    assert browser.get("/admin/customers").status_code == 200


def test_a_deactivated_contact_cannot_sign_in_with_its_passkey(app, anna):
    anna.active = False
    db.session.commit()
    response, _body = sign_in(app.test_client(), anna.device)
    assert response.status_code == 400 and NOT_RECOGNISED in response.get_json()["error"]


def test_a_deactivated_staff_member_cannot_sign_in_with_its_passkey(app, f):
    staff = f.make_staff()
    browser = app.test_client()
    browser.post("/admin/login", data={"email": staff.email, "password": PASSWORD})
    device = SoftwareAuthenticator()
    assert add_passkey(browser, device, area="admin").status_code == 200
    staff.active = False
    db.session.commit()
    response, _body = sign_in(app.test_client(), device, area="admin")
    assert response.status_code == 400


def test_a_counter_that_goes_back_is_refused(app, anna):
    assert sign_in(app.test_client(), anna.device)[0].status_code == 200
    anna.device.credentials[0].sign_count = 0  # a cloned authenticator
    response, _body = sign_in(app.test_client(), anna.device)
    assert response.status_code == 400


def test_sign_in_without_options_first_is_refused(app, anna):
    browser = app.test_client()
    fake = {"rpId": "portal.example.com", "challenge": b64url(b"0" * 32)}
    response = browser.post("/login/passkey", json={"credential": anna.device.get(fake, ORIGIN)})
    assert response.status_code == 400 and "expired or was already used" in response.get_json()["error"]


def test_challenges_are_single_use_rows_that_expire(app, anna):
    browser = app.test_client()
    offered = options(browser, "/login/passkey/options")
    assert count(PasskeyChallenge) == 1
    row = db.session.scalars(select(PasskeyChallenge)).one()
    row.created_at = row.created_at.replace(year=2000)
    db.session.commit()
    response = browser.post("/login/passkey", json={"credential": anna.device.get(offered, ORIGIN)})
    assert response.status_code == 400 and "expired" in response.get_json()["error"]
    # The next ceremony sweeps expired challenges away.
    fresh = options(browser, "/login/passkey/options")
    db.session.expire_all()
    assert db.session.scalars(select(PasskeyChallenge.challenge)).all() == [fresh["challenge"]]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"credential": "x"}',
        b'{"credential": {}}',
        b'{"credential": {"id": 5, "rawId": null, "response": []}}',
        b'{"credential": {"id": "%%%", "rawId": "%%%", "type": "public-key", "response": {}}}',
    ],
)
def test_malformed_answers_get_a_clear_400(app, anna, body):
    for area_base, register in (("/login/passkey", False), ("/profile/passkeys/new", True)):
        browser = app.test_client()
        if register:
            login(browser, anna)
            browser.post("/profile/passkeys/options", json={})
        else:
            browser.post(f"{area_base}/options", json={})
        response = browser.post(area_base, data=body, content_type="application/json")
        assert response.status_code == 400, (area_base, body, text(response))
        assert response.is_json and response.get_json()["error"]


def test_passkey_sign_in_is_throttled_per_credential_and_per_client(app, anna):
    statuses = []
    for index in range(6):  # one credential from six clients: the per-account limit (5 a minute)
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.7.0.{index}"
        statuses.append(sign_in(browser, anna.device)[0].status_code)
    assert statuses == [200] * 5 + [429]

    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = "10.8.0.1"
    answers = [browser.post("/login/passkey/options", json={}).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


# -- staff: the requirement of a second factor -----------------------------------------------------


def test_a_staff_passkey_satisfies_the_required_second_factor(app, admin_client):
    set_settings({REQUIRE_STAFF_TWO_FACTOR: "1"})
    assert admin_client.get("/admin/customers").location == "/admin/account/two-factor"
    assert "/admin/account/passkeys" in text(admin_client.get("/admin/account/two-factor"))
    assert admin_client.get("/admin/account/passkeys").status_code == 200
    device = SoftwareAuthenticator()
    assert add_passkey(admin_client, device, area="admin").status_code == 200
    assert admin_client.get("/admin/customers").status_code == 200

    # Its only passkey cannot be removed while the setting is on and there is no TOTP.
    [passkey] = db.session.scalars(select(Passkey)).all()
    admin_client.post(f"/admin/account/passkeys/{passkey.id}/remove")
    assert "Staff must have a passkey or an authenticator app." in text(admin_client.get("/admin/account/passkeys"))
    assert count(Passkey) == 1
    # A second one can go.
    add_passkey(admin_client, SoftwareAuthenticator(), area="admin", name="Spare key")
    admin_client.post(f"/admin/account/passkeys/{passkey.id}/remove")
    assert count(Passkey) == 1


def test_without_the_setting_staff_may_remove_their_last_passkey(app, admin_client):
    add_passkey(admin_client, SoftwareAuthenticator(), area="admin")
    passkey = db.session.scalars(select(Passkey)).one()
    admin_client.post(f"/admin/account/passkeys/{passkey.id}/remove")
    assert count(Passkey) == 0


def test_the_settings_page_names_passkeys(admin_client):
    assert "Require staff to use a passkey or an authenticator app" in text(admin_client.get("/admin/settings"))


# -- CSRF --------------------------------------------------------------------------------------------


@pytest.mark.csrf
def test_every_passkey_post_needs_the_csrf_token(app, f):
    contact = f.make_contact()
    browser = app.test_client()
    page = text(browser.get("/login"))
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    assert browser.post("/login/passkey/options", json={}).status_code == 400
    assert browser.post("/login/passkey/options", json={}, headers={"X-CSRFToken": "forged"}).status_code == 400
    assert browser.post("/login/passkey/options", json={}, headers={"X-CSRFToken": token}).status_code == 200
    assert browser.post("/login/passkey", json={"credential": {}}).status_code == 400
    browser.post("/login", data={"email": contact.email, "password": PASSWORD, "csrf_token": token})
    page = text(browser.get("/profile/passkeys"))
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    assert browser.post("/profile/passkeys/options", json={}).status_code == 400
    assert browser.post("/profile/passkeys/options", json={}, headers={"X-CSRFToken": token}).status_code == 200
    assert count(PasskeyChallenge) == 2
