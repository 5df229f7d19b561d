"""Contacts through the API: the same services, rules, audit log and emails as the admin form."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Contact, OutboxEmail
from core.services.settings import set_default_contact_permissions
from tests.api.conftest import assert_problem
from tests.http.helpers.forms import contact_form


def new_contact(customer, **changes) -> dict:
    return {"customer_id": customer.id, "first_name": "Nina", "last_name": "Neu", "email": "nina@example.com"} | changes


def effects(email: str) -> tuple[list[str], list[tuple]]:
    """What creating the contact ``email`` left: audit actions and its outbox rows."""
    contact = db.session.scalar(select(Contact).where(Contact.email == email))
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "Contact", AuditEntry.target_id == contact.id)
    ).all()
    rows = db.session.execute(
        select(OutboxEmail.event, OutboxEmail.to_address, OutboxEmail.contact_id, OutboxEmail.customer_id).where(
            OutboxEmail.contact_id == contact.id
        )
    ).all()
    return sorted(actions), [(event, to.split("@")[0], cid == contact.id, cust) for event, to, cid, cust in rows]


def test_creating_a_contact_with_invitation_matches_the_admin_form(app, api, admin_client, f):
    customer = f.make_customer("Acme")
    f.make_contact(customer, email="first@acme.example")  # so neither new contact becomes primary by default
    form = contact_form(email="form@example.com", perm_projects="y", notify_project="y", access="invite")
    form.pop("password")
    assert admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=form).status_code == 302
    response = api.post(
        "/api/v1/contacts",
        json=new_contact(
            customer, email="form2@example.com", permissions=["projects"], notifications=["project"], invite=True
        ),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["permissions"] == ["projects"] and body["notifications"] == ["project"] and not body["is_primary"]
    assert response.headers["ETag"] == f'"{body["version"]}"'
    by_form, by_api = effects("form@example.com"), effects("form2@example.com")
    assert by_form[0] == by_api[0] == ["contact.created"]
    assert [row[0] for row in by_form[1]] == [row[0] for row in by_api[1]] == ["invitation"]
    assert [row[2:] for row in by_form[1]] == [row[2:] for row in by_api[1]]
    # The audit row names the token's creator and the token.
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "contact.created").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.actor_name == "Ada Admin" and json.loads(entry.details)["api_token"]["name"] == "Test token"


def test_a_new_contact_gets_the_default_permissions_like_in_the_form(app, api, f):
    set_default_contact_permissions({"support"})
    customer = f.make_customer()
    body = api.post("/api/v1/contacts", json=new_contact(customer)).get_json()
    assert body["permissions"] == ["support"] and body["notifications"] == [] and body["is_primary"]


def test_the_services_rules_answer_422_with_field_errors(app, api, f):
    customer = f.make_customer()
    f.make_contact(customer, email="taken@example.com")
    body = assert_problem(api.post("/api/v1/contacts", json=new_contact(customer, email="TAKEN@example.com")), 422)
    assert "taken@example.com" in body["errors"]["email"][0]
    body = assert_problem(
        api.post("/api/v1/contacts", json=new_contact(customer, permissions=["support"], notifications=["invoice"])),
        422,
    )
    assert "Invoice emails need the Invoices permission" in body["detail"]
    body = assert_problem(api.post("/api/v1/contacts", json=new_contact(customer, customer_id=999999)), 422)
    assert "customer_id" in body["errors"]
    assert db.session.scalar(select(Contact.id).where(Contact.email == "nina@example.com")) is None


def test_update_with_if_match_changes_access_and_is_audited(app, api, f):
    customer = f.make_customer()
    contact = f.make_contact(customer, permissions={"invoices"}, notifications={"invoice"})
    url = f"/api/v1/contacts/{contact.id}"
    etag = api.get(url).headers["ETag"]
    response = api.patch(
        url, json={"permissions": ["projects"], "notifications": ["task"], "phone": "+49 1"}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["permissions"] == ["projects"] and body["notifications"] == ["task"] and body["phone"] == "+49 1"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "contact.access_changed")).one()
    details = json.loads(entry.details)
    assert details["permissions"] == {"before": ["invoices"], "after": ["projects"]}
    # The old ETag is stale now.
    assert_problem(api.patch(url, json={"phone": "2"}, headers={"If-Match": etag}), 412)
    assert_problem(api.patch(url, json={"phone": "2"}), 428)


def test_the_primary_contact_cannot_be_unset(app, api, f):
    contact = f.make_contact(f.make_customer())
    url = f"/api/v1/contacts/{contact.id}"
    etag = api.get(url).headers["ETag"]
    body = assert_problem(api.patch(url, json={"is_primary": False}, headers={"If-Match": etag}), 422)
    assert "primary" in body["detail"]


def test_deactivate_and_activate(app, api, f):
    contact = f.make_contact(f.make_customer())
    token = contact.session_token
    body = api.post(f"/api/v1/contacts/{contact.id}/deactivate").get_json()
    assert body["active"] is False
    db.session.refresh(contact)
    assert contact.session_token != token and contact.deactivated_by_staff
    assert api.post(f"/api/v1/contacts/{contact.id}/activate").get_json()["active"] is True
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["api_token.created", "contact.status_changed", "contact.status_changed"]


def test_a_token_of_staff_who_are_not_administrators_cannot_change_access(app, f, make_token, api_with):
    clerk = f.make_staff(email="clerk@example.com")
    clerk.is_admin = False
    db.session.commit()
    contact = f.make_contact(f.make_customer())
    client = api_with({"contacts:read", "contacts:write"}, staff=clerk)
    assert_problem(client.post(f"/api/v1/contacts/{contact.id}/deactivate"), 422)
    etag = client.get(f"/api/v1/contacts/{contact.id}").headers["ETag"]
    response = client.patch(f"/api/v1/contacts/{contact.id}", json={"permissions": []}, headers={"If-Match": etag})
    assert_problem(response, 422)
    ok = client.patch(f"/api/v1/contacts/{contact.id}", json={"position": "CFO"}, headers={"If-Match": etag})
    assert ok.status_code == 200


def test_list_filters(app, api, f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    anna = f.make_contact(acme, email="anna@acme.example")
    f.make_contact(acme, email="bob@acme.example", active=False)
    f.make_contact(globex, email="gina@globex.example")

    def emails(query: str) -> list[str]:
        response = api.get(f"/api/v1/contacts?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["email"] for item in response.get_json()["items"]]

    # The filter filters: the contacts of customer A only, not a 422 and not everyone.
    assert emails("") == ["anna@acme.example", "bob@acme.example", "gina@globex.example"]
    assert emails(f"customer_id={acme.id}") == ["anna@acme.example", "bob@acme.example"]
    assert emails(f"customer_id={globex.id}") == ["gina@globex.example"]
    assert emails(f"customer_id={acme.id}&active=true") == ["anna@acme.example"]
    assert emails("customer_id=2147483647") == []
    assert emails("email=ANNA@acme.example") == ["anna@acme.example"]
    assert api.get(f"/api/v1/contacts/{anna.id}").get_json()["customer_id"] == acme.id


# Every list's id filter in the query string (text, not a JSON number): one field helper for all.
ID_FILTERS = [
    "/api/v1/contacts?customer_id",
    "/api/v1/invoices?customer_id",
    "/api/v1/invoices?project_id",
    "/api/v1/projects?customer_id",
    "/api/v1/tickets?customer_id",
    "/api/v1/tickets?contact_id",
]


@pytest.mark.parametrize("filter_", ID_FILTERS)
def test_a_bad_id_in_a_list_filter_is_a_422_problem_naming_it(app, api, filter_):
    name = filter_.split("?")[1]
    assert api.get(f"{filter_}=1").status_code == 200
    for bad in ("abc", "0", "-1", "2147483648", "99999999999999999999", "1.5", ""):
        body = assert_problem(api.get(f"{filter_}={bad}"), 422)
        assert name in body["errors"].get("query", body["errors"]), (filter_, bad, body)


def test_pagination_is_stable_under_inserts(app, api, f):
    customer = f.make_customer()
    for n in range(7):
        f.make_contact(customer, email=f"c{n}@example.com")
    seen, url, pages = [], "/api/v1/contacts?limit=3", 0
    while url:
        response = api.get(url)
        body = response.get_json()
        seen += [item["email"] for item in body["items"]]
        pages += 1
        if body["next_cursor"]:
            assert f"cursor={body['next_cursor']}" in response.headers["Link"]
            url = response.headers["Link"].split(">")[0].lstrip("<")
            # Rows added between pages land at the end, once; nothing shifts.
            f.make_contact(customer, email=f"new{pages}@example.com")
        else:
            assert "Link" not in response.headers
            url = None
    assert len(seen) == len(set(seen))
    assert set(seen) == set(db.session.scalars(select(Contact.email)).all())
    assert seen[:7] == [f"c{n}@example.com" for n in range(7)]


def test_lists_need_no_count_query(app, api, f):
    from sqlalchemy import event

    customer = f.make_customer()
    for n in range(3):
        f.make_contact(customer, email=f"q{n}@example.com")
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert api.get("/api/v1/contacts?limit=2").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert statements and not any("count(" in s.lower() for s in statements)
