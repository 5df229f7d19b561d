"""The primary contact's company page and colleague management, through HTTP.

Who may open what: only the primary contact (others 403); colleague pages also need the
PRIMARY_MANAGES_CONTACTS setting (403 without); another customer's contact is a 404. Rules:
the permission ceiling, no self-service on one's own access, no mass assignment, one effect
per double submit, and an audit entry with before/after for every change.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, Contact, OutboxEmail
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from tests.conftest import login

NEW_PASSWORD = "a brand new passphrase"
ADDRESS_REFUSED = "This email address cannot be invited here."


# -- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def acme(app, f):
    """Acme with a primary contact (Invoices, Support, Projects) and one colleague, plus a stranger."""
    customer = f.make_customer("Acme Ltd", vat_number="DE1", city="Berlin", currency="EUR")
    primary = f.make_contact(
        customer, first_name="Anna", email="anna@acme.example", permissions={"invoices", "support", "projects"}
    )
    colleague = f.make_contact(
        customer,
        first_name="David",
        email="david@acme.example",
        permissions={"projects"},
        notifications={"project"},
    )
    stranger = f.make_contact(f.make_customer("Globex"), first_name="Sam", email="sam@globex.example")
    assert primary.is_primary and not colleague.is_primary
    return customer, primary, colleague, stranger


def client_of(app, contact):
    client = app.test_client()
    response = login(client, contact)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def manage_contacts(on: bool = True) -> None:
    set_settings({PRIMARY_MANAGES_CONTACTS: "1" if on else "0"})


def fresh(obj):
    """Re-read ``obj``: requests change it in their own database session."""
    db.session.expire_all()
    db.session.refresh(obj)
    return obj


def entries(action: str | None = None) -> list[AuditEntry]:
    """The audit entries this feature writes (logins are audited too, elsewhere: left out)."""
    db.session.expire_all()
    stmt = select(AuditEntry).where(~AuditEntry.action.startswith("login.")).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def details(entry: AuditEntry) -> dict:
    return json.loads(entry.details)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


def invite_form(**overrides) -> dict:
    form = {"first_name": "Nina", "last_name": "Neu", "email": "Nina@Acme.example", "perm_invoices": "y"}
    form.update(overrides)
    return form


# -- company details ---------------------------------------------------------------------------


def test_primary_contact_sees_its_company_and_the_menu_entry(app, acme):
    customer, primary, colleague, _ = acme
    page = text(client_of(app, primary).get("/company"))
    assert "Acme Ltd" in page and 'value="DE1"' in page and 'data-testid="company-menu"' in page
    assert 'data-testid="manage-colleagues"' not in page  # the setting is off
    dashboard = text(client_of(app, colleague).get("/dashboard"))
    assert 'data-testid="company-menu"' not in dashboard and 'data-testid="portal-menu"' in dashboard


def test_other_contacts_get_access_denied_and_change_nothing(app, acme):
    customer, _, colleague, _ = acme
    client = client_of(app, colleague)
    assert client.get("/company").status_code == 403
    response = client.post("/company", data={"vat_number": "HACKED", "city": "Nowhere"})
    assert response.status_code == 403 and "Access denied" in text(response)
    assert fresh(customer).vat_number == "DE1" and entries() == []


def test_logged_out_visitor_is_sent_to_login(client, acme):
    response = client.get("/company")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"


def test_primary_contact_updates_the_details_and_the_change_is_audited(app, acme):
    customer, primary, _, _ = acme
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


def test_invalid_or_stale_company_forms_change_nothing(app, acme):
    customer, primary, _, _ = acme
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


def test_with_the_setting_off_colleague_pages_are_access_denied(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts(False)
    client = client_of(app, primary)
    for method, url, data in colleague_requests(colleague.id):
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert count(Contact) == 3 and fresh(colleague).active and entries() == []


def test_non_primary_contacts_are_access_denied_even_with_the_setting_on(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, colleague)
    for method, url, data in colleague_requests(primary.id):
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert fresh(primary).active and count(Contact) == 3 and entries() == []


def test_a_demoted_primary_loses_access_on_its_next_request(app, acme):
    from core.services.contacts import make_primary

    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    assert client.get("/company/contacts").status_code == 200
    make_primary(colleague)
    assert client.get("/company/contacts").status_code == 403
    assert client.get("/company").status_code == 403


def test_another_customers_contact_is_not_found(app, acme):
    _, primary, _, stranger = acme
    manage_contacts()
    client = client_of(app, primary)
    for method, url, data in [
        ("GET", f"/company/contacts/{stranger.id}", None),
        ("POST", f"/company/contacts/{stranger.id}", {"perm_invoices": "y"}),
        ("POST", f"/company/contacts/{stranger.id}/deactivate", None),
        ("POST", f"/company/contacts/{stranger.id}/activate", None),
        ("GET", "/company/contacts/99999999", None),
        ("POST", "/company/contacts/99999999/deactivate", None),
    ]:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, url
        assert "sam@globex.example" not in text(response)
    assert "sam@globex.example" not in text(client.get("/company/contacts"))
    stranger = fresh(stranger)
    assert stranger.active and stranger.permissions == frozenset(
        {"invoices", "estimates", "contracts", "proposals", "support", "projects"}
    )
    assert entries() == []


def test_malformed_urls_and_methods(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    assert client.get("/company/contacts/abc").status_code == 404
    assert client.post(f"/company/contacts/{colleague.id}/make-primary").status_code == 404
    assert client.get(f"/company/contacts/{colleague.id}/deactivate").status_code == 405  # no change on GET
    assert fresh(colleague).active


# -- listing and inviting ----------------------------------------------------------------------


def test_list_shows_colleagues_with_their_access(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    assert 'data-testid="manage-colleagues"' in text(client.get("/company"))
    page = text(client.get("/company/contacts"))
    assert 'data-contact="anna@acme.example"' in page and 'data-contact="david@acme.example"' in page
    assert f'href="/company/contacts/{colleague.id}"' in page
    assert f'href="/company/contacts/{primary.id}"' not in page  # no edit button for oneself
    assert "Last login" in page and "Projects" in page


def test_invitation_creates_the_colleague_queues_a_usable_email_and_is_audited(app, client, acme):
    customer, primary, _, _ = acme
    manage_contacts()
    manager = client_of(app, primary)
    form = invite_form(
        perm_support="y",
        notify_ticket="y",
        # Mass assignment: the form has no such fields; the colleague is never primary or pre-passworded.
        is_primary="y",
        password="attacker chosen pass",
        active="",
        customer_id="999",
    )
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


def test_invitation_form_is_prechecked_within_the_ceiling(app, acme):
    from core.services.settings import set_default_contact_permissions

    _, primary, _, _ = acme
    manage_contacts()
    set_default_contact_permissions({"invoices", "estimates"})
    page = text(client_of(app, primary).get("/company/contacts/new"))
    assert 'checked class="form-check-input" id="perm_invoices"' in page
    # Estimates is a default, but the primary contact lacks it: shown disabled, not checked.
    assert 'class="form-check-input" disabled id="perm_estimates"' in page


def test_invitation_beyond_the_ceiling_is_refused_and_changes_nothing(app, acme):
    _, primary, _, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    response = client.post("/company/contacts/new", data=invite_form(perm_estimates="y"), follow_redirects=True)
    page = text(response)
    assert "You can only give colleagues access that you have yourself" in page and "Estimates" in page
    assert count(Contact) == 3 and count(OutboxEmail) == 0 and entries() == []


def test_invitation_toggle_without_its_permission_is_refused(app, acme):
    _, primary, _, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    response = client.post("/company/contacts/new", data=invite_form(notify_project="y"), follow_redirects=True)
    assert "Project emails need the Projects permission" in text(response)
    assert count(Contact) == 3 and count(OutboxEmail) == 0 and entries() == []
    # The refused attempt left nothing pending: a later change is audited alone.
    client.post("/company", data={"city": "Hamburg"})
    assert [e.action for e in entries()] == ["company.updated"]


def test_invitation_form_errors(app, acme):
    _, primary, _, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    for bad in (invite_form(email="not-an-email"), invite_form(first_name=""), invite_form(last_name="x" * 81)):
        response = client.post("/company/contacts/new", data=bad)
        assert response.status_code == 200 and "invalid-feedback" in text(response)
    taken = client.post("/company/contacts/new", data=invite_form(email="SAM@globex.example"), follow_redirects=True)
    assert ADDRESS_REFUSED in text(taken)
    assert count(Contact) == 3 and [e.action for e in entries()] == ["colleague.invite_refused"]


def test_an_address_in_use_elsewhere_gets_the_same_neutral_answer_as_a_colleagues(app, acme):
    customer, primary, colleague, stranger = acme
    manage_contacts()
    client = client_of(app, primary)
    answers = {}
    for address in (stranger.email.upper(), colleague.email):
        response = client.post("/company/contacts/new", data=invite_form(email=address))
        assert response.status_code == 200
        page = text(response)
        assert ADDRESS_REFUSED in page
        for leak in ("already exists", "Globex", "another customer", "in use"):
            assert leak not in page, leak
        # The page is the same for both reasons, up to the address echoed in the form field.
        # (and the form's one-time key, new on every rendering)
        page = re.sub(r'name="form_key" value="[^"]+"', 'name="form_key"', page)
        page = re.sub(r'(name="csrf_token" type="hidden" value=)"[^"]+"', r"\1", page)  # signed with the second
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


# -- editing access ----------------------------------------------------------------------------


def test_primary_contact_changes_a_colleagues_permissions_and_toggles(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    page = text(client.get(f"/company/contacts/{colleague.id}"))
    assert 'checked class="form-check-input" id="perm_projects"' in page
    response = client.post(
        f"/company/contacts/{colleague.id}",
        data={
            "perm_invoices": "y",
            "perm_support": "y",
            "notify_invoice": "y",
            "notify_ticket": "y",
            "is_primary": "y",
        },
    )
    assert response.status_code == 302
    colleague = fresh(colleague)
    assert colleague.permissions == {"invoices", "support"} and colleague.notifications == {"invoice", "ticket"}
    assert not colleague.is_primary and fresh(primary).is_primary  # nobody is made primary

    (perms,) = entries("colleague.permissions_changed")
    assert (perms.actor_id, perms.target_type, perms.target_id) == (primary.id, "Contact", colleague.id)
    assert details(perms)["before"] == ["projects"] and details(perms)["after"] == ["invoices", "support"]
    (notes,) = entries("colleague.notifications_changed")
    assert details(notes)["before"] == ["project"] and details(notes)["after"] == ["invoice", "ticket"]

    # Saving the same again has one effect only.
    data = {"perm_invoices": "y", "perm_support": "y", "notify_invoice": "y", "notify_ticket": "y"}
    again = client.post(f"/company/contacts/{colleague.id}", data=data, follow_redirects=True)
    assert "Nothing was changed." in text(again) and len(entries()) == 2


def test_the_ceiling_refuses_grants_and_keeps_what_staff_gave(app, f, acme):
    from core.services.contacts import ContactData, update_contact

    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    before = fresh(colleague).version
    response = client.post(
        f"/company/contacts/{colleague.id}", data={"perm_projects": "y", "perm_estimates": "y"}, follow_redirects=True
    )
    assert "You do not have: Estimates. Nothing was changed." in text(response)
    colleague = fresh(colleague)
    assert colleague.permissions == {"projects"} and colleague.version == before and entries() == []
    toggle = client.post(f"/company/contacts/{colleague.id}", data={"perm_projects": "y", "notify_estimate": "y"})
    assert toggle.status_code == 200 and fresh(colleague).notifications == {"project"} and entries() == []

    # Staff gave the colleague Contracts (with its emails), which the primary contact lacks:
    # the primary can neither see it as editable nor take it away by omission.
    update_contact(
        colleague,
        ContactData(
            first_name=colleague.first_name,
            last_name=colleague.last_name,
            email=colleague.email,
            permissions={"projects", "contracts"},
            notifications={"project", "contract"},
        ),
    )
    page = text(client.get(f"/company/contacts/{colleague.id}"))
    assert 'checked class="form-check-input" disabled id="perm_contracts"' in page
    client.post(f"/company/contacts/{colleague.id}", data={"perm_invoices": "y"})
    colleague = fresh(colleague)
    assert colleague.permissions == {"invoices", "contracts"} and colleague.notifications == {"contract"}
    (entry,) = entries("colleague.permissions_changed")
    assert details(entry)["before"] == ["contracts", "projects"] and details(entry)["after"] == [
        "invoices",
        "contracts",
    ]


def test_dropping_a_permission_but_keeping_its_toggle_is_refused(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    response = client.post(
        f"/company/contacts/{colleague.id}", data={"perm_invoices": "y", "notify_project": "y"}, follow_redirects=True
    )
    assert "Project emails need the Projects permission" in text(response)
    colleague = fresh(colleague)
    assert colleague.permissions == {"projects"} and colleague.notifications == {"project"}
    assert entries() == []
    client.post("/company", data={"city": "Hamburg"})
    assert [e.action for e in entries()] == ["company.updated"]  # nothing from the refusal leaked


def test_a_stale_edit_is_refused(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    response = client.post(
        f"/company/contacts/{colleague.id}", data={"perm_invoices": "y", "version": "0"}, follow_redirects=True
    )
    assert "Someone else changed this contact meanwhile" in text(response)
    assert fresh(colleague).permissions == {"projects"} and entries() == []


def test_the_primary_contact_cannot_change_its_own_access(app, acme):
    _, primary, _, _ = acme
    manage_contacts()
    client = client_of(app, primary)
    response = client.get(f"/company/contacts/{primary.id}", follow_redirects=True)
    assert "You cannot change your own access here" in text(response)
    for url, data in (
        (f"/company/contacts/{primary.id}", {"perm_invoices": "y", "perm_estimates": "y"}),
        (f"/company/contacts/{primary.id}", {}),
        (f"/company/contacts/{primary.id}/deactivate", None),
    ):
        response = client.post(url, data=data, follow_redirects=True)
        assert "You cannot change your own access here" in text(response)
    primary = fresh(primary)
    assert primary.active and primary.is_primary and primary.permissions == {"invoices", "support", "projects"}
    assert entries() == []
    assert client.get("/company/contacts").status_code == 200  # still logged in


# -- deactivating and activating ---------------------------------------------------------------


def test_deactivate_and_activate_a_colleague(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    manager, victim = client_of(app, primary), client_of(app, colleague)
    assert victim.get("/projects").status_code == 200

    response = manager.post(f"/company/contacts/{colleague.id}/deactivate", follow_redirects=True)
    assert "is deactivated and logged out" in text(response)
    assert not fresh(colleague).active
    assert victim.get("/projects").status_code == 302  # its session ended
    again = manager.post(f"/company/contacts/{colleague.id}/deactivate", follow_redirects=True)
    assert "was already inactive" in text(again)
    (entry,) = entries("colleague.deactivated")
    assert (entry.actor_id, entry.target_id) == (primary.id, colleague.id)
    assert details(entry)["before"] == {"active": True} and details(entry)["after"] == {"active": False}
    assert len(entries()) == 1

    assert manager.post(f"/company/contacts/{colleague.id}/activate").status_code == 302
    assert fresh(colleague).active and len(entries("colleague.activated")) == 1
    assert (
        victim.post("/login", data={"email": colleague.email, "password": "correct horse battery"}).status_code == 302
    )


def test_a_colleague_staff_deactivated_stays_inactive_until_staff_activate_it(app, acme, admin_client):
    _, primary, colleague, _ = acme
    manage_contacts()
    manager = client_of(app, primary)
    assert admin_client.post(f"/admin/contacts/{colleague.id}/deactivate").status_code == 302
    assert fresh(colleague).deactivated_by_staff and not colleague.active

    page = text(manager.get("/company/contacts"))
    assert 'data-testid="deactivated-by-staff"' in page
    assert f"/company/contacts/{colleague.id}/activate" not in page
    response = manager.post(f"/company/contacts/{colleague.id}/activate", follow_redirects=True)
    assert "only they can activate it again" in text(response)
    assert not fresh(colleague).active and entries("colleague.activated") == []
    # Nor through the access form, which keeps the colleague's status as it is.
    manager.post(f"/company/contacts/{colleague.id}", data={"perm_projects": "y", "version": colleague.version})
    assert not fresh(colleague).active

    assert admin_client.post(f"/admin/contacts/{colleague.id}/activate").status_code == 302
    assert fresh(colleague).active and not colleague.deactivated_by_staff
    # The primary contact's own deactivation it may undo itself.
    manager.post(f"/company/contacts/{colleague.id}/deactivate")
    assert not fresh(colleague).active and not colleague.deactivated_by_staff
    manager.post(f"/company/contacts/{colleague.id}/activate")
    assert fresh(colleague).active


@pytest.mark.csrf
def test_colleague_actions_need_the_csrf_token(app, acme):
    _, primary, colleague, _ = acme
    manage_contacts()
    client = app.test_client()
    page = text(client.get("/login"))
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": primary.email, "password": "correct horse battery", "csrf_token": token})
    assert client.post(f"/company/contacts/{colleague.id}/deactivate").status_code == 400
    assert client.post("/company", data={"city": "X"}).status_code == 400
    assert fresh(colleague).active and entries() == []
