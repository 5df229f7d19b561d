"""Customers through the API: the admin's service, audited, with search and active filters."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Customer
from tests.api.conftest import assert_problem


def test_create_read_update(app, api):
    response = api.post("/api/v1/customers", json={"company": " Acme ", "currency": "USD", "website": ""})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["company"] == "Acme" and body["currency"] == "USD" and body["active"] is True
    url = f"/api/v1/customers/{body['id']}"
    read = api.get(url)
    assert read.get_json() == body and read.headers["ETag"] == f'"{body["version"]}"'
    changed = api.patch(url, json={"active": False, "city": "Bonn"}, headers={"If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["active"] is False
    actions = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "Customer")).all()
    assert [a.action for a in actions] == ["customer.created", "customer.updated"]
    details = json.loads(actions[1].details)
    assert details["city"] == {"before": "", "after": "Bonn"} and details["api_token"]["name"] == "Test token"


def test_invalid_customer_values(app, api):
    body = assert_problem(api.post("/api/v1/customers", json={"company": "", "currency": "euro", "website": "x"}), 422)
    assert {"company", "currency", "website"} <= set(body["errors"])
    assert db.session.scalars(select(Customer)).first() is None


def test_search_and_active_filters(app, api, f):
    acme = f.make_customer("Acme Tools")
    f.make_contact(acme, email="buyer@acme.example")
    f.make_customer("Globex", active=False)
    f.make_customer("Initech")

    def companies(query: str) -> list[str]:
        return [c["company"] for c in api.get(f"/api/v1/customers?{query}").get_json()["items"]]

    assert companies("q=acme") == ["Acme Tools"]
    assert companies("q=buyer@") == ["Acme Tools"]
    assert companies("active=false") == ["Globex"]
    assert companies("limit=2") == ["Acme Tools", "Globex"]


def test_the_admin_form_now_audits_customer_changes_too(app, admin_client):
    form = {"company": "Formco", "currency": "EUR", "active": "y"}
    assert admin_client.post("/admin/customers/new", data=form).status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("customer.%"))).all()
    assert actions == ["customer.created"]
