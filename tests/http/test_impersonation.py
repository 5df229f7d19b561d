"""An administrator viewing the customer area as a contact may look, never act in its name.

The POST endpoints are enumerated from ``app.url_map``: a new portal route is covered without
touching this file.
"""

from __future__ import annotations

import pytest
from flask import session
from flask_login import login_user
from sqlalchemy import MetaData, func, select
from werkzeug.routing.converters import AnyConverter

from core.audit import record
from core.extensions import db
from core.models import AuditEntry, Contact, Contract
from core.services.impersonation import IMPERSONATOR
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from portal.guards import IMPERSONATION_ALLOWED

REFUSED = "you can look, but not sign, accept"


def _portal_post_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("portal.") and "POST" in rule.methods),
        key=lambda rule: rule.rule,
    )


def _row_counts() -> dict[str, int]:
    meta = MetaData()
    meta.reflect(bind=db.engine)
    with db.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in meta.sorted_tables}


@pytest.fixture
def world(app, admin_client, f):
    set_settings({PRIMARY_MANAGES_CONTACTS: "1"})
    customer = f.make_customer()
    contact = f.make_contact(customer, is_primary=True)
    colleague = f.make_contact(customer)
    project = f.make_project(customer, tasks=[("Visible task", True)])
    ids = {
        "contact_id": colleague.id,
        "estimate_id": f.make_estimate(customer).id,
        "contract_id": f.make_contract(customer).id,
        "invoice_id": f.make_invoice(customer).id,
        "proposal_id": f.make_proposal(customer).id,
        "ticket_id": f.make_ticket(customer, contact).id,
        "project_id": project.id,
        "task_id": project.tasks[0].id,
        "discussion_id": 1,
        "attempt_id": 1,  # a card payment attempt: refused before it is looked up
        "passkey_id": 1,  # a passkey: refused before it is looked up
        "token": "any-token",
    }
    assert admin_client.post(f"/admin/contacts/{contact.id}/login-as").status_code == 302
    return {"client": admin_client, "contact": contact, "ids": ids}


def _url(rule, ids: dict) -> str:
    values = {}
    for name in rule.arguments - set(rule.defaults or {}):
        converter = rule._converters[name]
        values[name] = sorted(converter.items)[0] if isinstance(converter, AnyConverter) else ids[name]
    return rule.build(values)[1]


def test_every_portal_state_change_is_refused_while_impersonating(app, world):
    client, contact, ids = world["client"], world["contact"], world["ids"]
    rules = [rule for rule in _portal_post_rules(app) if rule.endpoint not in IMPERSONATION_ALLOWED]
    assert {"portal.contracts.sign", "portal.change_password", "portal.two_factor"} <= {r.endpoint for r in rules}
    before, version = _row_counts(), contact.version
    form = {
        "signer_name": "Staff Member",
        "body": "Written by staff",
        "subject": "Subject",
        "message": "Message",
        "first_name": "Hacked",
        "password-current_password": "x",
        "profile-first_name": "Hacked",
    }
    for rule in rules:
        url = _url(rule, ids)
        response = client.post(url, data=form, headers={"Referer": f"http://localhost{url}"})
        assert response.status_code == 303, (rule.endpoint, response.status_code)
        page = client.get(response.location, follow_redirects=True).get_data(as_text=True)
        assert REFUSED in page, rule.endpoint
    assert _row_counts() == before
    db.session.expire_all()
    assert contact.version == version and contact.first_name != "Hacked"
    assert db.session.get(Contract, ids["contract_id"]).signed_at is None


def test_viewing_returning_and_switching_language_keep_working(app, world):
    client, contact, ids = world["client"], world["contact"], world["ids"]
    for url in (
        "/dashboard",
        "/profile",
        "/profile/two-factor",
        f"/contracts/{ids['contract_id']}",
        f"/estimates/{ids['estimate_id']}",
        f"/tickets/{ids['ticket_id']}",
        "/company",
        "/company/contacts",
    ):
        assert client.get(url).status_code == 200, url
    response = client.post("/language", data={"language": "de", "next": "/dashboard"})
    assert response.location == "/dashboard"
    assert 'lang="de"' in client.get("/dashboard").get_data(as_text=True)
    db.session.expire_all()
    assert contact.language == "en"  # the staff member's page switched; the contact's emails did not
    response = client.post("/return-to-admin")
    assert response.location == f"/admin/customers/{contact.customer_id}/contacts"
    assert client.get("/admin/customers").status_code == 200


def test_a_contact_itself_can_still_post(client, f):
    from tests.conftest import login

    contact = f.make_contact()
    login(client, contact)
    response = client.post("/profile", data={"profile-first_name": "Own", "profile-last_name": "Name"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).first_name == "Own"


def test_the_audit_log_names_the_staff_member_behind_a_contact(app, f):
    staff = f.make_staff(name="Ada Admin")
    contact = f.make_contact(first_name="Carl")
    with app.test_request_context("/profile", method="POST"):
        login_user(contact)
        session[IMPERSONATOR] = staff.get_id()
        entry = record("anything", actor=contact, customer_id=contact.customer_id, target=contact)
    assert (entry.actor_type, entry.actor_id, entry.actor_name) == ("staff", staff.id, "Ada Admin")
    assert contact.email in entry.details
    with app.test_request_context("/profile", method="POST"):
        login_user(contact)
        entry = record("anything", actor=contact, customer_id=contact.customer_id, target=contact)
    assert (entry.actor_type, entry.actor_id) == ("contact", contact.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "anything")) == 0
