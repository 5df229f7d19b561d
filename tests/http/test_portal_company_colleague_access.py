"""A primary contact edits a colleague's access (within the ceiling staff set, never its own),
deactivates and activates colleagues; every action needs the CSRF token."""

from __future__ import annotations

import pytest

from tests.conftest import text
from tests.factories import contact_data
from tests.http.helpers.portal_company import client_of, details, entries, fresh, manage_contacts

# -- editing access ----------------------------------------------------------------------------


def test_primary_contact_changes_a_colleagues_permissions_and_toggles(acme_ltd, manager):
    _, primary, colleague, _ = acme_ltd
    page = text(manager.get(f"/company/contacts/{colleague.id}"))
    assert 'checked class="form-check-input" id="perm_projects"' in page
    # is_primary: mass assignment, the form has no such field.
    data = {"perm_invoices": "y", "perm_support": "y", "notify_invoice": "y", "notify_ticket": "y", "is_primary": "y"}
    response = manager.post(f"/company/contacts/{colleague.id}", data=data)
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
    again = manager.post(f"/company/contacts/{colleague.id}", data=data, follow_redirects=True)
    assert "Nothing was changed." in text(again) and len(entries()) == 2


def test_the_ceiling_refuses_grants_and_keeps_what_staff_gave(f, acme_ltd, manager):
    from core.services.contacts import update_contact

    _, primary, colleague, _ = acme_ltd
    before = fresh(colleague).version
    response = manager.post(
        f"/company/contacts/{colleague.id}", data={"perm_projects": "y", "perm_estimates": "y"}, follow_redirects=True
    )
    assert "You do not have: Estimates. Nothing was changed." in text(response)
    colleague = fresh(colleague)
    assert colleague.permissions == {"projects"} and colleague.version == before and entries() == []
    toggle = manager.post(f"/company/contacts/{colleague.id}", data={"perm_projects": "y", "notify_estimate": "y"})
    assert toggle.status_code == 200 and fresh(colleague).notifications == {"project"} and entries() == []

    # Staff gave the colleague Contracts (with its emails), which the primary contact lacks:
    # the primary can neither see it as editable nor take it away by omission.
    update_contact(
        colleague,
        contact_data(colleague, permissions={"projects", "contracts"}, notifications={"project", "contract"}),
    )
    page = text(manager.get(f"/company/contacts/{colleague.id}"))
    assert 'checked class="form-check-input" disabled id="perm_contracts"' in page
    manager.post(f"/company/contacts/{colleague.id}", data={"perm_invoices": "y"})
    colleague = fresh(colleague)
    assert colleague.permissions == {"invoices", "contracts"} and colleague.notifications == {"contract"}
    (entry,) = entries("colleague.permissions_changed")
    assert details(entry)["before"] == ["contracts", "projects"] and details(entry)["after"] == [
        "invoices",
        "contracts",
    ]


def test_dropping_a_permission_but_keeping_its_toggle_is_refused(acme_ltd, manager):
    _, _, colleague, _ = acme_ltd
    response = manager.post(
        f"/company/contacts/{colleague.id}", data={"perm_invoices": "y", "notify_project": "y"}, follow_redirects=True
    )
    assert "Project emails need the Projects permission" in text(response)
    colleague = fresh(colleague)
    assert colleague.permissions == {"projects"} and colleague.notifications == {"project"}
    assert entries() == []
    manager.post("/company", data={"city": "Hamburg"})
    assert [e.action for e in entries()] == ["company.updated"]  # nothing from the refusal leaked


def test_a_stale_edit_is_refused(acme_ltd, manager):
    _, _, colleague, _ = acme_ltd
    response = manager.post(
        f"/company/contacts/{colleague.id}", data={"perm_invoices": "y", "version": "0"}, follow_redirects=True
    )
    assert "Someone else changed this contact meanwhile" in text(response)
    assert fresh(colleague).permissions == {"projects"} and entries() == []


def test_the_primary_contact_cannot_change_its_own_access(acme_ltd, manager):
    _, primary, _, _ = acme_ltd
    response = manager.get(f"/company/contacts/{primary.id}", follow_redirects=True)
    assert "You cannot change your own access here" in text(response)
    for url, data in (
        (f"/company/contacts/{primary.id}", {"perm_invoices": "y", "perm_estimates": "y"}),
        (f"/company/contacts/{primary.id}", {}),
        (f"/company/contacts/{primary.id}/deactivate", None),
    ):
        response = manager.post(url, data=data, follow_redirects=True)
        assert "You cannot change your own access here" in text(response)
    primary = fresh(primary)
    assert primary.active and primary.is_primary and primary.permissions == {"invoices", "support", "projects"}
    assert entries() == []
    assert manager.get("/company/contacts").status_code == 200  # still logged in


# -- deactivating and activating ---------------------------------------------------------------


def test_deactivate_and_activate_a_colleague(app, acme_ltd, manager):
    _, primary, colleague, _ = acme_ltd
    victim = client_of(app, colleague)
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


def test_a_colleague_staff_deactivated_stays_inactive_until_staff_activate_it(acme_ltd, manager, admin_client):
    _, primary, colleague, _ = acme_ltd
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
def test_colleague_actions_need_the_csrf_token(app, acme_ltd):
    _, primary, colleague, _ = acme_ltd
    manage_contacts()
    client = app.test_client()
    page = text(client.get("/login"))
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": primary.email, "password": "correct horse battery", "csrf_token": token})
    assert client.post(f"/company/contacts/{colleague.id}/deactivate").status_code == 400
    assert client.post("/company", data={"city": "X"}).status_code == 400
    assert fresh(colleague).active and entries() == []
