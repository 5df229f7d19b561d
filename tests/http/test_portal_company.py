"""The primary contact's company page and colleague management, through HTTP.

Who may open what: only the primary contact (others 403); colleague pages also need the
PRIMARY_MANAGES_CONTACTS setting (403 without); another customer's contact is a 404. Rules:
the permission ceiling, no self-service on one's own access, no mass assignment, one effect
per double submit, and an audit entry with before/after for every change. Editing a colleague's
access and deactivating: test_portal_company_colleague_access.py.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from core.extensions import db
from core.models import Contact, OutboxEmail
from tests.conftest import count, text
from tests.http.helpers.portal_company import client_of, details, entries, fresh, manage_contacts

NEW_PASSWORD = "a brand new passphrase"
ADDRESS_REFUSED = "This email address cannot be invited here."


def invite_form(**overrides) -> dict:
    form = {"first_name": "Nina", "last_name": "Neu", "email": "Nina@Acme.example", "perm_invoices": "y"}
    form.update(overrides)
    return form


# -- company details ---------------------------------------------------------------------------


def test_primary_contact_sees_its_company_and_the_menu_entry(app, acme_ltd):
    customer, primary, colleague, _ = acme_ltd
    page = text(client_of(app, primary).get("/company"))
    assert "Acme Ltd" in page and 'value="DE1"' in page and 'data-testid="company-menu"' in page
    assert 'data-testid="manage-colleagues"' not in page  # the setting is off
    dashboard = text(client_of(app, colleague).get("/dashboard"))
    assert 'data-testid="company-menu"' not in dashboard and 'data-testid="portal-menu"' in dashboard


def test_other_contacts_get_access_denied_and_change_nothing(app, acme_ltd):
    customer, _, colleague, _ = acme_ltd
    client = client_of(app, colleague)
    assert client.get("/company").status_code == 403
    response = client.post("/company", data={"vat_number": "HACKED", "city": "Nowhere"})
    assert response.status_code == 403 and "Access denied" in text(response)
    assert fresh(customer).vat_number == "DE1" and entries() == []


def test_logged_out_visitor_is_sent_to_login(client, acme_ltd):
    response = client.get("/company")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_primary_contact_updates_the_details_and_the_change_is_audited(app, acme_ltd):
    customer, primary, _, _ = acme_ltd
    client = client_of(app, primary)
    form = {
        "vat_number": " DE999 ",
        "phone": "+49 30 1",
        "address": "Street 1",
        "city": "Berlin",
        "zip_code": "10115",
        "country": "Germany",
        "website": "https://acme.example",
        # Mass assignment: none of these may change.
        "company": "Evil Corp",
        "currency": "USD",
        "active": "",
        "is_primary": "",
        "version": str(customer.version),
    }
    response = client.post("/company", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/company"
    customer = fresh(customer)
    assert (customer.vat_number, customer.zip_code, customer.website) == ("DE999", "10115", "https://acme.example")
    assert (customer.company, customer.currency, customer.active) == ("Acme Ltd", "EUR", True)
    (entry,) = entries("company.updated")
    assert (entry.actor_type, entry.actor_id, entry.customer_id) == ("contact", primary.id, customer.id)
    assert (entry.target_type, entry.target_id) == ("Customer", customer.id)
    d = details(entry)
    assert d["before"]["vat_number"] == "DE1" and d["after"]["vat_number"] == "DE999"
    assert "city" not in d["after"]  # unchanged fields are not listed
    assert "company" not in d["after"] and "currency" not in d["after"]

    # The same form again changes nothing and records nothing.
    form["version"] = str(customer.version)
    response = client.post("/company", data=form, follow_redirects=True)
    assert "Nothing was changed." in text(response)
    assert len(entries("company.updated")) == 1


def test_invalid_or_stale_company_forms_change_nothing(app, acme_ltd):
    customer, primary, _, _ = acme_ltd
    client = client_of(app, primary)
    for bad in ({"vat_number": "x" * 41}, {"website": "not a url"}, {"zip_code": "1" * 21}):
        response = client.post("/company", data=bad)
        assert response.status_code == 200 and "invalid-feedback" in text(response)
    stale = client.post("/company", data={"vat_number": "DE2", "version": "0"}, follow_redirects=True)
    assert "details meanwhile. Reload the page" in text(stale)
    assert fresh(customer).vat_number == "DE1" and entries() == []
    junk = client.post("/company", data={"vat_number": "DE3", "version": "abc"})
    assert junk.status_code == 302 and fresh(customer).vat_number == "DE3"


# -- who may manage colleagues -----------------------------------------------------------------


def colleague_requests(colleague_id: int):
    return [
        ("GET", "/company/contacts", None),
        ("GET", "/company/contacts/new", None),
        ("POST", "/company/contacts/new", invite_form()),
        ("GET", f"/company/contacts/{colleague_id}", None),
        ("POST", f"/company/contacts/{colleague_id}", {"perm_invoices": "y"}),
        ("POST", f"/company/contacts/{colleague_id}/deactivate", None),
        ("POST", f"/company/contacts/{colleague_id}/activate", None),
    ]


def test_with_the_setting_off_colleague_pages_are_access_denied(app, acme_ltd):
    _, primary, colleague, _ = acme_ltd
    manage_contacts(False)
    client = client_of(app, primary)
    for method, url, data in colleague_requests(colleague.id):
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert count(Contact) == 3 and fresh(colleague).active and entries() == []


def test_non_primary_contacts_are_access_denied_even_with_the_setting_on(app, acme_ltd):
    _, primary, colleague, _ = acme_ltd
    manage_contacts()
    client = client_of(app, colleague)
    for method, url, data in colleague_requests(primary.id):
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert fresh(primary).active and count(Contact) == 3 and entries() == []


def test_a_demoted_primary_loses_access_on_its_next_request(acme_ltd, manager):
    from core.services.contacts import make_primary

    _, _, colleague, _ = acme_ltd
    assert manager.get("/company/contacts").status_code == 200
    make_primary(colleague)
    assert manager.get("/company/contacts").status_code == 403
    assert manager.get("/company").status_code == 403


def test_another_customers_contact_is_not_found(acme_ltd, manager):
    _, _, _, stranger = acme_ltd
    for method, url, data in [
        ("GET", f"/company/contacts/{stranger.id}", None),
        ("POST", f"/company/contacts/{stranger.id}", {"perm_invoices": "y"}),
        ("POST", f"/company/contacts/{stranger.id}/deactivate", None),
        ("POST", f"/company/contacts/{stranger.id}/activate", None),
        ("GET", "/company/contacts/99999999", None),
        ("POST", "/company/contacts/99999999/deactivate", None),
    ]:
        response = manager.open(url, method=method, data=data)
        assert response.status_code == 404, url
        assert "sam@globex.example" not in text(response)
    assert "sam@globex.example" not in text(manager.get("/company/contacts"))
    stranger = fresh(stranger)
    assert stranger.active and stranger.permissions == frozenset(
        {"invoices", "estimates", "contracts", "proposals", "support", "projects"}
    )
    assert entries() == []


def test_malformed_urls_and_methods(acme_ltd, manager):
    _, primary, colleague, _ = acme_ltd
    assert manager.get("/company/contacts/abc").status_code == 404
    assert manager.post(f"/company/contacts/{colleague.id}/make-primary").status_code == 404
    assert manager.get(f"/company/contacts/{colleague.id}/deactivate").status_code == 405  # no change on GET
    assert fresh(colleague).active


# -- listing and inviting ----------------------------------------------------------------------


def test_list_shows_colleagues_with_their_access(acme_ltd, manager):
    _, primary, colleague, _ = acme_ltd
    assert 'data-testid="manage-colleagues"' in text(manager.get("/company"))
    page = text(manager.get("/company/contacts"))
    assert 'data-contact="anna@acme.example"' in page and 'data-contact="david@acme.example"' in page
    assert f'href="/company/contacts/{colleague.id}"' in page
    assert f'href="/company/contacts/{primary.id}"' not in page  # no edit button for oneself
    assert "Last login" in page and "Projects" in page


def test_invitation_creates_the_colleague_queues_a_usable_email_and_is_audited(client, acme_ltd, manager):
    customer, primary, _, _ = acme_ltd
    # Mass assignment: the form has no such fields; the colleague is never primary or pre-passworded.
    attack = {"is_primary": "y", "password": "attacker chosen pass", "active": "", "customer_id": "999"}
    form = invite_form(perm_support="y", notify_ticket="y", **attack)
    response = manager.post("/company/contacts/new", data=form)
    assert response.status_code == 302 and response.headers["Location"] == "/company/contacts"
    nina = db.session.scalar(select(Contact).where(Contact.email == "nina@acme.example"))
    assert nina.customer_id == customer.id and nina.active and not nina.is_primary and nina.password_hash is None
    assert nina.permissions == {"invoices", "support"} and nina.notifications == {"ticket"}
    assert fresh(primary).is_primary

    (email,) = db.session.scalars(select(OutboxEmail).where(OutboxEmail.event == "invitation")).all()
    assert email.to_address == "nina@acme.example" and email.contact_id == nina.id

    (entry,) = entries("colleague.invited")
    assert (entry.actor_type, entry.actor_id, entry.customer_id) == ("contact", primary.id, customer.id)
    assert (entry.target_type, entry.target_id) == ("Contact", nina.id)
    d = details(entry)
    assert d["email"] == "nina@acme.example" and d["permissions"] == ["invoices", "support"]
    assert d["notifications"] == ["ticket"] and "password" not in entry.details

    # Double submit: refused (neutrally), still one contact, one email, one invitation entry.
    again = manager.post("/company/contacts/new", data=form, follow_redirects=True)
    assert ADDRESS_REFUSED in text(again) and "already exists" not in text(again)
    assert count(OutboxEmail) == 1 and [e.action for e in entries()] == [
        "colleague.invited",
        "colleague.invite_refused",
    ]
    assert db.session.scalar(select(func.count(Contact.id)).where(Contact.email == "nina@acme.example")) == 1

    # The emailed link works: the colleague chooses a password and logs in.
    path = urlsplit(email.link).path
    assert path.startswith("/set-password/") and client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.post("/login", data={"email": "nina@acme.example", "password": NEW_PASSWORD}).status_code == 302
    assert client.get("/tickets").status_code == 200 and client.get("/projects").status_code == 403


def test_invitation_form_is_prechecked_within_the_ceiling(app, acme_ltd):
    from core.services.settings import set_default_contact_permissions

    _, primary, _, _ = acme_ltd
    manage_contacts()
    set_default_contact_permissions({"invoices", "estimates"})
    page = text(client_of(app, primary).get("/company/contacts/new"))
    assert 'checked class="form-check-input" id="perm_invoices"' in page
    # Estimates is a default, but the primary contact lacks it: shown disabled, not checked.
    assert 'class="form-check-input" disabled id="perm_estimates"' in page


def test_invitation_beyond_the_ceiling_is_refused_and_changes_nothing(manager):
    response = manager.post("/company/contacts/new", data=invite_form(perm_estimates="y"), follow_redirects=True)
    page = text(response)
    assert "You can only give colleagues access that you have yourself" in page and "Estimates" in page
    assert count(Contact) == 3 and count(OutboxEmail) == 0 and entries() == []


def test_invitation_toggle_without_its_permission_is_refused(manager):
    response = manager.post("/company/contacts/new", data=invite_form(notify_project="y"), follow_redirects=True)
    assert "Project emails need the Projects permission" in text(response)
    assert count(Contact) == 3 and count(OutboxEmail) == 0 and entries() == []
    # The refused attempt left nothing pending: a later change is audited alone.
    manager.post("/company", data={"city": "Hamburg"})
    assert [e.action for e in entries()] == ["company.updated"]


def test_invitation_form_errors(manager):
    for bad in (invite_form(email="not-an-email"), invite_form(first_name=""), invite_form(last_name="x" * 81)):
        response = manager.post("/company/contacts/new", data=bad)
        assert response.status_code == 200 and "invalid-feedback" in text(response)
    taken = manager.post("/company/contacts/new", data=invite_form(email="SAM@globex.example"), follow_redirects=True)
    assert ADDRESS_REFUSED in text(taken)
    assert count(Contact) == 3 and [e.action for e in entries()] == ["colleague.invite_refused"]


def test_an_address_in_use_elsewhere_gets_the_same_neutral_answer_as_a_colleagues(acme_ltd, manager):
    customer, primary, colleague, stranger = acme_ltd
    answers = {}
    for address in (stranger.email.upper(), colleague.email):
        response = manager.post("/company/contacts/new", data=invite_form(email=address))
        assert response.status_code == 200
        page = text(response)
        assert ADDRESS_REFUSED in page
        for leak in ("already exists", "Globex", "another customer", "in use"):
            assert leak not in page, leak
        # The page is the same for both reasons, up to the address echoed in the form field.
        # (and the form's one-time key, new on every rendering)
        page = re.sub(r'name="form_key" value="[^"]+"', 'name="form_key"', page)
        # Every CSRF token (the form's and the logout button's) is signed with the second.
        page = re.sub(r'(name="csrf_token"(?: type="hidden")? value=)"[^"]+"', r"\1", page)
        answers[address] = page.replace(f'value="{address}"', 'value=""')
    first, second = answers.values()
    assert first == second
    # Nobody is told anything: no contact made, no email queued (not to the owner either).
    assert count(Contact) == 3 and count(OutboxEmail) == 0

    # Staff see the real reason in the audit log.
    refused = entries("colleague.invite_refused")
    assert [details(e)["reason"] for e in refused] == ["address_used_by_another_customer", "colleague_has_address"]
    assert details(refused[0])["used_by_customer_id"] == stranger.customer_id
    assert all(e.customer_id == customer.id and e.actor_id == primary.id for e in refused)
