"""Language: browser preference, the switcher, the user's saved language, German pages."""

from __future__ import annotations

import pytest

from core.extensions import db
from tests.conftest import login


def test_the_browser_preference_picks_german_for_visitors(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert page.status_code == 404
    assert "Nicht gefunden" in page.text
    assert 'lang="de"' in page.text


def test_english_is_the_default(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "fr"})
    assert "Not found" in page.text
    assert 'lang="en"' in page.text


def test_a_visitor_switches_language_and_it_sticks_for_the_session(client):
    response = client.post("/language", data={"language": "de", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Nicht gefunden" in client.get("/no-such-page").text
    client.post("/language", data={"language": "en", "next": "/login"})
    assert "Not found" in client.get("/no-such-page").text


def test_a_logged_in_contact_switch_saves_its_language(client, f):
    contact = f.make_contact()
    login(client, contact)
    client.post("/language", data={"language": "de", "next": "/"})
    db.session.refresh(contact)
    assert contact.language == "de"
    # A new session (another browser) starts in the contact's language.
    other = client.application.test_client()
    login(other, contact)
    assert "Nicht gefunden" in other.get("/no-such-page").text


def test_a_staff_switch_saves_its_language(admin_client, f):
    admin_client.post("/language", data={"language": "de", "next": "/admin/"})
    from core.models import StaffUser

    assert {s.language for s in db.session.query(StaffUser)} == {"de"}
    assert "Nicht gefunden" in admin_client.get("/admin/no-such-page").text


@pytest.mark.parametrize("language", ["fr", "", "de" * 50, "<script>"])
def test_an_unknown_language_changes_nothing(client, f, language):
    contact = f.make_contact()
    login(client, contact)
    response = client.post("/language", data={"language": language, "next": "/profile"})
    assert response.status_code == 302
    db.session.refresh(contact)
    assert contact.language == "en"
    assert "Not found" in client.get("/no-such-page").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil", "javascript:alert(1)"])
def test_the_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"language": "de", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_switch_needs_a_post(client):
    assert client.get("/language").status_code == 405


def test_a_colleague_is_invited_in_the_inviting_contacts_language(f):
    from core.services.colleagues import invite_colleague

    customer = f.make_customer()
    primary = f.make_contact(customer, permissions={"invoices"})
    primary.language = "de"
    db.session.commit()
    colleague = invite_colleague(
        primary,
        first_name="Eva",
        last_name="Neu",
        email="eva@example.com",
        permissions={"invoices"},
        notifications=set(),
    )
    assert colleague.language == "de"
