"""/api/v1 sales documents: invoices (PDF, send, payments), credit notes, estimates, proposals
and contracts, through the same services as the admin area."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.document_kinds import PDF_KINDS, SENDABLE_KINDS
from core.extensions import db
from core.models import AuditEntry, Invoice, OutboxEmail
from tests.api.conftest import assert_problem
from tests.http.helpers.admin_sales import sales_form

TODAY = date.today()
LINE = {"description": "Design work", "quantity": "2", "unit_price": "100", "tax_rate": "19"}


def invoice_body(customer, **fields) -> dict:
    return {"customer_id": customer.id, "date": TODAY.isoformat(), "lines": [LINE]} | fields


def actions(*conditions) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(*conditions).order_by(AuditEntry.id)))


def test_an_invoice_is_created_as_a_draft_with_lines_numbered_and_audited(app, api, f):
    acme = f.make_customer("Acme")
    response = api.post("/api/v1/invoices", json=invoice_body(acme, due_date=(TODAY + timedelta(days=14)).isoformat()))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "draft" and body["number"].startswith("INV-")
    assert (body["subtotal"], body["tax_total"], body["total"], body["balance"]) == (
        "200.00",
        "38.00",
        "238.00",
        "238.00",
    )
    assert body["lines"] == [
        LINE | {"quantity": "2.00", "unit_price": "100.00", "tax_rate": "19.00", "amount": "200.00"}
    ]
    assert body["payments"] == [] and body["currency"] == acme.currency
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "invoice.created")).one()
    assert entry.customer_id == acme.id and json.loads(entry.details)["api_token"]["name"] == "Test token"
    # Read back: the same document.
    read = api.get(f"/api/v1/invoices/{body['id']}")
    assert read.status_code == 200 and read.get_json() == body


def test_an_invoice_is_updated_through_the_admin_service(app, api, f):
    acme = f.make_customer("Acme")
    created = api.post("/api/v1/invoices", json=invoice_body(acme)).get_json()
    url = f"/api/v1/invoices/{created['id']}"
    changed = api.patch(url, json={"notes": "Thanks", "discount": "38"})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    body = changed.get_json()
    assert body["notes"] == "Thanks" and body["total"] == "200.00" and body["lines"] == created["lines"]
    two = [LINE, {"description": "Hosting", "quantity": 1, "unit_price": 10.5}]
    body = api.patch(url, json={"lines": two, "discount": None}).get_json()
    assert [line["description"] for line in body["lines"]] == ["Design work", "Hosting"]
    assert body["total"] == "248.50" and body["lines"][1]["tax_rate"] == "0.00"
    assert actions(AuditEntry.action.like("invoice.%")) == ["invoice.created", "invoice.updated", "invoice.updated"]
    # The service's rules answer as 422 problems: paid/partially paid follow the payments.
    problem = assert_problem(api.patch(url, json={"status": "paid"}), 422)
    assert "recording payments" in problem["detail"] and problem["errors"]["_schema"]
    # A document stays with its customer.
    problem = assert_problem(api.patch(url, json={"customer_id": f.make_customer().id}), 422)
    assert "customer_id" in problem["errors"]


def test_bad_input_is_a_problem_with_field_errors(app, api, f):
    acme, other = f.make_customer("Acme"), f.make_customer("Other")
    problem = assert_problem(api.post("/api/v1/invoices", json={"customer_id": acme.id}), 422)
    assert {"date", "lines"} <= set(problem["errors"])
    problem = assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, lines=[])), 422)
    assert "lines" in problem["errors"]
    bad_line = {"description": "", "quantity": "NaN", "unit_price": "x"}
    problem = assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, lines=[bad_line])), 422)
    assert {"lines.0.description", "lines.0.quantity", "lines.0.unit_price"} <= set(problem["errors"])
    problem = assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, status="bogus")), 422)
    assert "status" in problem["errors"]
    problem = assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, customer_id=999999)), 422)
    assert "customer_id" in problem["errors"]
    # Another customer's project: the service's refusal, in words.
    project = f.make_project(other)
    problem = assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, project_id=project.id)), 422)
    assert "another customer" in problem["detail"]
    # A paid status cannot be chosen for a new invoice; a negative quantity is refused by the service.
    assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, status="paid")), 422)
    negative = [LINE | {"quantity": "-1"}]
    assert_problem(api.post("/api/v1/invoices", json=invoice_body(acme, lines=negative)), 422)
    assert db.session.scalar(select(Invoice.id)) is None
    for query in ("status=overdue-ish", "customer_id=0", "limit=500"):
        assert_problem(api.get(f"/api/v1/invoices?{query}"), 422)
    assert_problem(api.get("/api/v1/proposals?number=X-1"), 422)


def test_missing_documents_are_404_problems(app, api):
    for path in ("/api/v1/invoices/999", "/api/v1/invoices/999/pdf", "/api/v1/contracts/999", "/api/v1/tickets/999"):
        assert_problem(api.get(path), 404)
    assert_problem(api.post("/api/v1/invoices/999/send", json={}), 404)
    assert_problem(api.patch("/api/v1/estimates/999", json={"notes": "x"}), 404)


def test_invoice_list_filters_and_keyset_pagination(app, api, f):
    acme, other = f.make_customer("Acme"), f.make_customer("Other")
    mine = [f.make_invoice(acme) for _ in range(5)]
    theirs = f.make_invoice(other, status="draft")
    overdue = f.make_invoice(other, due_in_days=-3)

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/invoices?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["id"] for item in response.get_json()["items"]]

    assert ids(f"customer_id={acme.id}") == [i.id for i in mine]
    assert ids("status=draft") == [theirs.id]
    assert ids("status=overdue") == [overdue.id]
    assert ids(f"number={mine[2].number}") == [mine[2].id]
    assert ids(f"customer_id={other.id}&status=unpaid") == [overdue.id]
    # Pages of two, following next_cursor and the Link header; each invoice once, in id order.
    seen, url = [], f"/api/v1/invoices?customer_id={acme.id}&limit=2"
    while url:
        response = api.get(url)
        page = response.get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        assert "lines" not in page["items"][0]
        if page["next_cursor"]:
            assert page["next_cursor"] in response.headers["Link"]
        url = re.search(r"<([^>]+)>", response.headers["Link"]).group(1) if "Link" in response.headers else None
    assert seen == [i.id for i in mine]


def test_the_pdf_is_the_admin_areas_pdf(app, api, admin_client, f):
    acme = f.make_customer("Acme")
    documents = {
        "invoice": f.make_invoice(acme),
        "credit_note": f.make_credit_note(acme),
        "estimate": f.make_estimate(acme),
        "contract": f.make_contract(acme),
    }
    assert set(documents) == {kind.key for kind in PDF_KINDS}
    for kind in PDF_KINDS:
        document = documents[kind.key]
        response = api.get(f"/api/v1/{kind.slug}/{document.id}/pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
        admin = admin_client.get(f"/admin/{kind.slug}/{document.id}/pdf")
        assert admin.data == response.data  # the same renderer and cache
        assert response.headers["Content-Disposition"] == admin.headers["Content-Disposition"]
    assert_problem(api.get(f"/api/v1/proposals/{f.make_proposal(acme).id}/pdf"), 404)  # proposals have none


def _outbox(number: str) -> list[tuple]:
    """What each queued email of the document numbered ``number`` is, its number masked."""
    rows = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.subject.contains(number)).order_by(OutboxEmail.to_address)
    )
    return [
        (
            row.event,
            row.notification,
            row.contact_id,
            row.to_address,
            row.cc,
            row.subject.replace(number, "<n>"),
            bool(row.unsubscribe_url),
            [a.filename.replace(number, "<n>") for a in row.attachments],
        )
        for row in rows
    ]


def test_an_api_invoice_marked_sent_queues_exactly_the_outbox_rows_the_admin_dialog_does(app, api, admin_client, f):
    acme = f.make_customer("Acme")
    f.make_contact(acme, notifications={"invoice"}, first_name="Ann")
    f.make_contact(acme, notifications={"invoice"}, first_name="Bob", language="de")
    f.make_contact(acme, notifications=(), first_name="Cyd")  # no invoice emails: not preselected
    f.make_contact(acme, notifications=(), permissions=set(), first_name="Dan")  # no permission
    f.make_contact(f.make_customer("Other"), notifications={"invoice"})

    # The admin area: the new invoice form, then the send dialog as it is preselected.
    assert admin_client.post("/admin/invoices/new", data=sales_form(acme)).status_code == 302
    ui_invoice = db.session.scalars(select(Invoice)).one()
    dialog = admin_client.get(f"/admin/invoices/{ui_invoice.id}/send").get_data(as_text=True)
    checked = re.findall(
        r'checked class="form-check-input" id="recipients-\d+" name="recipients" type="checkbox" value="(\d+)"', dialog
    )
    assert len(checked) == 2
    sent = admin_client.post(
        f"/admin/invoices/{ui_invoice.id}/send", data={"recipients": checked, "cc": "", "attach_pdf": "y"}
    )
    assert sent.status_code == 302
    ui_actions = actions(AuditEntry.target_id == ui_invoice.id, AuditEntry.target_type == "Invoice")

    # The API: the same invoice created, then sent without choosing recipients.
    created = api.post(
        "/api/v1/invoices",
        json=invoice_body(
            acme, lines=[{"description": "Design work", "quantity": 2, "unit_price": 100, "tax_rate": 19}]
        ),
    )
    assert created.status_code == 201
    api_id = created.get_json()["id"]
    response = api.post(f"/api/v1/invoices/{api_id}/send", json={})
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert result["status"] == "unpaid" and result["sent_at"]

    db.session.expire_all()
    api_invoice = db.session.get(Invoice, api_id)
    ui_rows, api_rows = _outbox(ui_invoice.number), _outbox(api_invoice.number)
    assert len(api_rows) == 2 and api_rows == ui_rows
    assert sorted(result["recipients"]) == [row[3] for row in api_rows]
    assert (api_invoice.status, api_invoice.total) == (ui_invoice.status, ui_invoice.total)
    assert (
        actions(AuditEntry.target_id == api_id, AuditEntry.target_type == "Invoice")
        == ui_actions
        == ["invoice.created", "invoice.sent"]
    )
    assert db.session.scalar(select(db.func.count()).select_from(OutboxEmail)) == 4


def test_send_to_chosen_contacts_and_refusals(app, api, f):
    acme = f.make_customer("Acme")
    ann = f.make_contact(acme, notifications=())
    stranger = f.make_contact(f.make_customer("Other"))
    invoice = f.make_invoice(acme, status="draft")
    url = f"/api/v1/invoices/{invoice.id}/send"
    # Nobody preselected and nobody chosen: the service's refusal; nothing queued.
    assert "recipient" in assert_problem(api.post(url, json={}), 422)["detail"]
    assert_problem(api.post(url, json={"contact_ids": [stranger.id]}), 422)
    assert_problem(api.post(url, json={"contact_ids": [ann.id], "cc": "not an address"}), 422)
    assert db.session.scalar(select(OutboxEmail.id)) is None
    response = api.post(url, json={"contact_ids": [ann.id], "attach_pdf": False})
    assert response.status_code == 200 and response.get_json()["recipients"] == [ann.email]
    row = db.session.scalars(select(OutboxEmail)).one()
    assert row.contact_id == ann.id and row.attachments == []


def test_a_payment_is_recorded_as_in_the_admin_area(app, api, f):
    acme = f.make_customer("Acme")
    f.make_contact(acme, notifications={"invoice"})
    invoice = f.make_invoice(acme)  # 119.00, unpaid
    url = f"/api/v1/invoices/{invoice.id}/payments"
    response = api.post(url, json={"amount": "38", "paid_on": TODAY.isoformat(), "notify": False})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["amount"] == "38.00"
    assert db.session.scalar(select(OutboxEmail.id)) is None  # notify: false
    second = api.post(url, json={"amount": 50, "paid_on": TODAY.isoformat()})
    assert second.status_code == 201, second.get_data(as_text=True)
    assert db.session.scalar(select(OutboxEmail.event)) == "payment_recorded"
    body = api.get(f"/api/v1/invoices/{invoice.id}").get_json()
    assert body["status"] == "partially_paid" and body["balance"] == "31.00"
    assert [p["amount"] for p in body["payments"]] == ["38.00", "50.00"]
    # Audited like the admin area's action, as the token's creator (refusals below add nothing).
    assert (
        actions(AuditEntry.target_id == invoice.id, AuditEntry.target_type == "Invoice")
        == ["invoice.payment_recorded"] * 2
    )
    assert (
        "balance"
        in assert_problem(api.post(url, json={"amount": "31.01", "paid_on": TODAY.isoformat()}), 422)["detail"]
    )
    assert_problem(api.post(url, json={"amount": "-1", "paid_on": TODAY.isoformat()}), 422)
    assert_problem(api.post(url, json={"amount": "5"}), 422)
    draft = f.make_invoice(acme, status="draft")
    assert_problem(
        api.post(f"/api/v1/invoices/{draft.id}/payments", json={"amount": 1, "paid_on": TODAY.isoformat()}), 422
    )


OTHER_KINDS = {
    "credit-notes": ({"date": TODAY.isoformat(), "lines": [LINE]}, {"notes": "Refund"}, "credit_note"),
    "estimates": ({"date": TODAY.isoformat(), "lines": [LINE]}, {"status": "sent"}, "estimate"),
    "proposals": ({"subject": "Website", "date": TODAY.isoformat(), "total": "999.50"}, {"status": "open"}, "proposal"),
    "contracts": (
        {"subject": "Support", "start_date": TODAY.isoformat(), "value": 1200},
        {"content": "Terms"},
        "contract",
    ),
}


@pytest.mark.parametrize("slug", sorted(OTHER_KINDS))
def test_other_kinds_are_listed_read_created_and_updated(app, api, f, slug):
    create, change, key = OTHER_KINDS[slug]
    acme, other = f.make_customer("Acme"), f.make_customer("Other")
    response = api.post(f"/api/v1/{slug}", json={"customer_id": acme.id} | create)
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["customer_id"] == acme.id
    changed = api.patch(f"/api/v1/{slug}/{created['id']}", json=change)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    for name, value in change.items():
        assert changed.get_json()[name] == value
    assert api.get(f"/api/v1/{slug}/{created['id']}").get_json() == changed.get_json()
    assert actions(AuditEntry.target_id == created["id"], AuditEntry.action.like(f"{key}.%")) == [
        f"{key}.created",
        f"{key}.updated",
    ]
    second = api.post(f"/api/v1/{slug}", json={"customer_id": other.id} | create).get_json()
    listed = api.get(f"/api/v1/{slug}?customer_id={other.id}").get_json()
    assert [item["id"] for item in listed["items"]] == [second["id"]] and listed["next_cursor"] is None
    # The service's rules: a negative total, an expiry or end before the date, and so on.
    bad = {
        "credit-notes": {"discount": "1000"},
        "estimates": {"expiry_date": "2000-01-01"},
        "proposals": {"open_till": "2000-01-01"},
        "contracts": {"end_date": "2000-01-01"},
    }[slug]
    assert_problem(api.patch(f"/api/v1/{slug}/{second['id']}", json=bad), 422)


@pytest.mark.parametrize("kind", SENDABLE_KINDS, ids=lambda k: k.key)
def test_every_sendable_kind_is_sent_to_the_preselected_contacts(app, api, f, kind):
    acme = f.make_customer("Acme")
    ann = f.make_contact(acme, notifications={kind.notification})
    f.make_contact(acme, notifications=())
    document = {
        "invoice": f.make_invoice,
        "credit_note": f.make_credit_note,
        "estimate": f.make_estimate,
        "contract": f.make_contract,
    }[kind.key](acme)
    response = api.post(f"/api/v1/{kind.slug}/{document.id}/send", json={})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["recipients"] == [ann.email]
    assert db.session.scalars(select(OutboxEmail.event)).all() == [f"{kind.key}_sent"]


def test_a_read_only_sales_token_cannot_write(app, api_with, f):
    reader = api_with({"sales:read"})
    invoice = f.make_invoice(f.make_customer())
    assert reader.get(f"/api/v1/invoices/{invoice.id}").status_code == 200
    assert_problem(reader.post(f"/api/v1/invoices/{invoice.id}/send", json={}), 403)
    assert_problem(reader.post(f"/api/v1/invoices/{invoice.id}/payments", json={}), 403)
    assert_problem(reader.patch(f"/api/v1/invoices/{invoice.id}", json={}), 403)
