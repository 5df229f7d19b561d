"""The admin audit log: staff only, newest first, filters, pagination, readable before/after."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete

from admin.audit import readable
from core.audit import record
from core.extensions import db
from core.models import AuditEntry
from tests.http.helpers.admin import assert_staff_only


def add(action: str, *, actor=None, customer=None, when: datetime | None = None, **details) -> AuditEntry:
    entry = record(action, actor=actor, customer_id=customer.id if customer else None, **details)
    if when is not None:
        entry.created_at = when
    db.session.commit()
    return entry


@pytest.fixture
def audit_client(admin_client):
    """The logged-in admin client, with an empty log (the login itself is audited)."""
    db.session.execute(delete(AuditEntry))
    db.session.commit()
    return admin_client


def rows(response) -> list[str]:
    """The actions of the listed entries, in page order."""
    page = response.get_data(as_text=True)
    return [chunk.split('"', 1)[0] for chunk in page.split('<tr data-action="')[1:]]


def test_only_staff_see_the_audit_log(app, f):
    assert_staff_only(app, f, "/admin/audit")


def test_newest_first_with_readable_details(audit_client, f):
    customer = f.make_customer("Acme Ltd")
    contact = f.make_contact(customer, first_name="Anna", last_name="Admin", email="anna@acme.example")
    add(
        "company.updated",
        actor=contact,
        customer=customer,
        when=datetime(2026, 1, 1, 9),
        before={"city": "Berlin"},
        after={"city": "Hamburg"},
    )
    add(
        "colleague.permissions_changed",
        actor=contact,
        customer=customer,
        when=datetime(2026, 1, 2, 9),
        before=["projects"],
        after=["invoices", "support"],
        email="<script>x</script>@acme.example",
    )
    response = audit_client.get("/admin/audit")
    assert response.status_code == 200
    assert rows(response) == ["colleague.permissions_changed", "company.updated"]
    page = response.get_data(as_text=True)
    assert "<td>Berlin</td><td>Hamburg</td>" in page
    assert "<td>projects</td><td>invoices, support</td>" in page
    assert "Anna Admin &lt;anna@acme.example&gt;" in page and "Acme Ltd" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;@acme.example" in page


def test_filters(audit_client, f):
    acme, globex = f.make_customer("Acme Ltd"), f.make_customer("Globex")
    anna = f.make_contact(acme)
    staff = f.make_staff()
    add("colleague.invited", actor=anna, customer=acme, when=datetime(2026, 3, 1, 12))
    add("colleague.deactivated", actor=anna, customer=acme, when=datetime(2026, 3, 5, 23, 59))
    add("company.updated", actor=staff, customer=globex, when=datetime(2026, 3, 10, 8))
    add("colleague_%", actor=None, when=datetime(2026, 3, 12))

    def listed(**params):
        response = audit_client.get("/admin/audit", query_string=params)
        assert response.status_code == 200
        return rows(response)

    assert listed(customer_id=acme.id) == ["colleague.deactivated", "colleague.invited"]
    assert listed(action="colleague.") == ["colleague.deactivated", "colleague.invited"]
    assert listed(action="colleague_") == ["colleague_%"]  # "_" is not a wildcard
    assert listed(action="%") == []
    assert listed(actor_type="staff") == ["company.updated"]
    assert listed(actor_type="system") == ["colleague_%"]
    assert listed(date_from="2026-03-05", date_to="2026-03-10") == ["company.updated", "colleague.deactivated"]
    assert listed(date_to="2026-03-05") == ["colleague.deactivated", "colleague.invited"]
    assert listed(customer_id=acme.id, actor_type="contact", action="colleague.inv") == ["colleague.invited"]
    # The customer filter offers only customers that appear in the log.
    page = audit_client.get("/admin/audit").get_data(as_text=True)
    assert f'<option value="{acme.id}">Acme Ltd</option>' in page


def test_bad_filter_values_give_messages_not_errors(audit_client, f):
    add("company.updated")
    for params in (
        {"customer_id": "abc"},
        {"customer_id": "99999999999999999999"},
        {"actor_type": "robot"},
        {"date_from": "yesterday"},
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"action": "x" * 500},
        {"page": "abc"},
        {"page": "-5"},
        {"page": "99999999999"},
    ):
        response = audit_client.get("/admin/audit", query_string=params)
        assert response.status_code == 200, params
    page = audit_client.get("/admin/audit", query_string={"date_from": "2026-03-10", "date_to": "2026-03-01"})
    assert "The end date is before the start date." in page.get_data(as_text=True)
    # An invalid filter is ignored, not applied half-way.
    assert rows(audit_client.get("/admin/audit", query_string={"actor_type": "robot"})) == ["company.updated"]


def test_pagination(app, audit_client):
    for i in range(app.config["PAGE_SIZE"] + 3):
        add(f"test.entry{i:02d}", when=datetime(2026, 1, 1, 0, i))
    first = rows(audit_client.get("/admin/audit"))
    second = rows(audit_client.get("/admin/audit?page=2"))
    assert len(first) == app.config["PAGE_SIZE"] and len(second) == 3
    assert first[0] == f"test.entry{app.config['PAGE_SIZE'] + 2:02d}" and second[-1] == "test.entry00"
    assert "Page 1 of 2" in audit_client.get("/admin/audit").get_data(as_text=True)
    assert rows(audit_client.get("/admin/audit?page=3")) == []


def test_readable_details():
    assert readable('{"before": {"a": true}, "after": {"a": false, "b": null}}') == {
        "changes": [("a", "yes", "no"), ("b", "—", "—")],
        "context": [],
    }
    assert readable('{"before": [], "after": ["x", "y"], "email": "e@x"}') == {
        "changes": [("value", "—", "x, y")],
        "context": [("email", "e@x")],
    }
    assert readable('{"active": {"before": true, "after": false}, "email": "e@x"}') == {
        "changes": [("active", "yes", "no")],
        "context": [("email", "e@x")],
    }
    assert readable("not json") == {"changes": [], "context": [("details", "not json")]}
    assert readable("") == {"changes": [], "context": []}
