"""Contact sessions: login, logout, deactivation, live permission changes, menu (the profile:
test_portal_profile.py)."""

from __future__ import annotations

import html
import re

import pytest

from core.catalogs import PERMISSION_KEYS, PERMISSIONS
from core.services.contacts import set_active, update_contact
from core.services.customers import save_customer
from tests import factories
from tests.conftest import login, sent_to_login
from tests.factories import contact_data
from tests.http.helpers.portal_session import _fresh, _location

from .authz_matrix import DETAIL_ROUTES, PERMISSION_SETS, ROUTES

ALL = frozenset(PERMISSION_KEYS)
LOGIN_FAILED = "Email or password is not correct."


def _menu(body: str) -> list[str]:
    return re.findall(r'data-feature="([^"]+)"', body)


# -- logging in ------------------------------------------------------------------------------


def test_wrong_password_and_unknown_email_get_the_same_answer(client, f):
    f.make_contact(email="known@example.com")
    f.make_contact(email="sleeper@example.com", active=False)

    def attempt(email, password):
        response = client.post("/login", data={"email": email, "password": password})
        return response.status_code, response.get_data(as_text=True).replace(email, "EMAIL")

    wrong_password = attempt("known@example.com", "not the password")
    unknown_email = attempt("nobody@example.com", "not the password")
    inactive = attempt("sleeper@example.com", factories.PASSWORD)

    assert wrong_password[0] == 200
    assert LOGIN_FAILED in wrong_password[1]
    assert unknown_email == wrong_password
    assert inactive == wrong_password
    assert sent_to_login(client.get("/dashboard"))


def test_login_lands_on_the_dashboard(client, f):
    contact = f.make_contact()
    response = login(client, contact)
    assert (response.status_code, _location(response)) == (302, "/dashboard")
    assert client.get("/dashboard").status_code == 200


def test_email_is_matched_case_insensitively(client, f):
    contact = f.make_contact(email="mixed@example.com")
    assert _location(login(client, "  MIXED@Example.COM ")) == "/dashboard"
    assert contact.email in client.get("/profile").get_data(as_text=True)


def test_inactive_contact_cannot_log_in(client, f):
    contact = f.make_contact(active=False)
    response = login(client, contact)
    assert response.status_code == 200
    assert LOGIN_FAILED in response.get_data(as_text=True)
    assert sent_to_login(client.get("/dashboard"), "/dashboard")


def test_contact_of_an_inactive_customer_cannot_log_in(client, f):
    contact = f.make_contact()
    save_customer(contact.customer, {"active": False})
    response = login(client, contact)
    assert response.status_code == 200
    assert LOGIN_FAILED in response.get_data(as_text=True)
    assert sent_to_login(client.get("/dashboard"))


@pytest.mark.parametrize(
    ("email", "password"),
    [("x" * 10_000 + "@example.com", factories.PASSWORD), ("a@example.com", "p" * 10_000), ("", ""), (" ", " ")],
    ids=["huge-email", "huge-password", "empty", "blank"],
)
def test_odd_login_input_is_a_form_error(client, f, email, password):
    f.make_contact(email="a@example.com")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert sent_to_login(client.get("/dashboard"))


# -- changes made by staff take effect on the next request ------------------------------------


def test_deactivated_contact_is_logged_out_on_its_next_request(client, f):
    contact = f.make_contact()
    login(client, contact)
    assert client.get("/invoices").status_code == 200

    set_active(_fresh(contact), False)

    assert sent_to_login(client.get("/invoices"), "/invoices")
    # Reactivating does not bring the old session back: deactivation ended it.
    set_active(_fresh(contact), True)
    assert sent_to_login(client.get("/invoices"), "/invoices")


def test_deactivated_customer_logs_its_contacts_out(client, f):
    contact = f.make_contact()
    login(client, contact)
    assert client.get("/dashboard").status_code == 200
    save_customer(_fresh(contact).customer, {"active": False})
    assert sent_to_login(client.get("/dashboard"), "/dashboard")


def test_removed_permission_is_refused_on_the_next_request(client, f):
    contact = f.make_contact(permissions=ALL)
    invoice = f.make_invoice(contact.customer)
    login(client, contact)
    assert client.get("/invoices").status_code == 200
    assert "invoices" in _menu(client.get("/dashboard").get_data(as_text=True))

    update_contact(_fresh(contact), contact_data(contact, permissions=set(ALL - {"invoices"})))

    for path in ("/invoices", f"/invoices/{invoice.id}", "/credit-notes"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert invoice.number not in response.get_data(as_text=True)
    assert "invoices" not in _menu(client.get("/dashboard").get_data(as_text=True))
    assert client.get("/estimates").status_code == 200  # the other permissions stay


def test_added_permission_appears_in_the_menu_on_the_next_request(client, f):
    contact = f.make_contact(permissions={"invoices"})
    login(client, contact)
    assert _menu(client.get("/dashboard").get_data(as_text=True)) == ["invoices"]
    assert client.get("/projects").status_code == 403

    update_contact(_fresh(contact), contact_data(contact, permissions={"invoices", "projects"}))

    assert _menu(client.get("/dashboard").get_data(as_text=True)) == ["invoices", "projects"]
    assert client.get("/projects").status_code == 200


@pytest.mark.parametrize(
    "permissions",
    [pytest.param(who.permissions, id=who.id) for who in PERMISSION_SETS]
    + [pytest.param(frozenset({"support", "invoices"}), id="support+invoices")],
)
def test_menu_lists_exactly_the_permitted_features(client, f, permissions):
    contact = f.make_contact(permissions=permissions)
    login(client, contact)
    body = client.get("/dashboard").get_data(as_text=True)

    expected = [p for p in PERMISSIONS if p.key in permissions]  # catalog order
    assert _menu(body) == [p.key for p in expected]
    for p in expected:
        match = re.search(rf'data-feature="{p.key}" href="([^"]+)">{re.escape(str(p.label))}</a>', body)
        assert match, p.key
        assert client.get(html.unescape(match.group(1))).status_code == 200, p.key  # never a link to a 403


# -- where login returns to ------------------------------------------------------------------


def test_login_returns_to_the_page_that_asked_for_it(client, f):
    contact = f.make_contact()
    to_login = client.get("/invoices?status=paid")
    assert sent_to_login(to_login, "/invoices?status=paid")

    form = client.get(_location(to_login)).get_data(as_text=True)
    hidden = re.search(r'<input[^>]*name="next"[^>]*value="([^"]*)"', form)
    assert hidden, form
    next_value = html.unescape(hidden.group(1))
    assert next_value == "/invoices?status=paid"
    response = client.post("/login", data={"email": contact.email, "password": factories.PASSWORD, "next": next_value})
    assert (response.status_code, _location(response)) == (302, "/invoices?status=paid")


@pytest.mark.parametrize("target", ["/profile", "/invoices/12", "/tickets?page=2"])
def test_local_next_is_followed(client, f, target):
    contact = f.make_contact()
    response = client.post("/login", data={"email": contact.email, "password": factories.PASSWORD, "next": target})
    assert _location(response) == target


EVIL_NEXT = [
    "//evil.example",
    "///evil.example",
    "\\\\evil.example",
    "\\\\\\\\evil.example",
    "/\\evil.example",
    "http://evil.example/",
    "https://evil.example",
    "javascript:alert(1)",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    " /\t//evil.example",
    " /\\t//evil.example",
    "/%5Cevil.example",
]


@pytest.mark.parametrize("target", EVIL_NEXT, ids=repr)
def test_foreign_next_is_refused(client, f, target):
    contact = f.make_contact()
    response = client.post("/login", data={"email": contact.email, "password": factories.PASSWORD, "next": target})
    assert (response.status_code, _location(response)) == (302, "/dashboard")


# -- logging out -----------------------------------------------------------------------------


def test_logout_is_post_only(client, f):
    login(client, f.make_contact())
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200  # still logged in


def test_old_session_cookie_is_dead_after_logout(app, client, f, new_client):
    login(client, f.make_contact())
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(cookie_name).value
    replay = new_client()
    replay.set_cookie(cookie_name, cookie)
    assert replay.get("/dashboard").status_code == 200  # the copy works while the session lives

    response = client.post("/logout")

    assert sent_to_login(response)
    assert sent_to_login(client.get("/dashboard"), "/dashboard")
    assert sent_to_login(replay.get("/dashboard"), "/dashboard")


# -- malformed input in URLs -----------------------------------------------------------------

HUGE_ID = "99999999999999999999"


@pytest.mark.parametrize("bad_id", ["abc", "-1", HUGE_ID, "1.5", "0x10"])
@pytest.mark.parametrize("route", [r for r in DETAIL_ROUTES if r.method == "GET" and not r.rule], ids=lambda r: r.name)
def test_malformed_object_id_is_404(client, f, route, bad_id):
    login(client, f.make_contact(permissions=ALL))
    response = client.get(route.url.format(id=bad_id, sub_id=bad_id))
    assert response.status_code == 404


@pytest.mark.parametrize("page", ["abc", "-1", "0", HUGE_ID])
@pytest.mark.parametrize("route", [r for r in ROUTES if r.lists and not r.rule], ids=lambda r: r.name)
def test_malformed_page_number_is_not_an_error(client, f, route, page):
    login(client, f.make_contact(permissions=ALL))
    response = client.get(f"{route.url}?page={page}")
    assert response.status_code in (200, 404)
