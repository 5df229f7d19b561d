"""Staff create, edit and list invoices in the admin area (credit notes, estimates and deleting:
test_admin_sales_estimates.py; contracts and proposals: test_admin_sales_contracts.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, CreditNote, Estimate, Invoice, InvoiceItem
from core.services.invoices import record_payment
from tests.conftest import count, text
from tests.http.helpers.admin_sales import LINE, TODAY, YEAR, reload, sales_form

# --- lists -------------------------------------------------------------------------------------


def test_invoice_list_search_filters_and_pagination(admin_client, f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    old = f.make_invoice(acme, number="INV-2019-0001")
    old.date = date(2019, 5, 1)
    overdue = f.make_invoice(globex, number="INV-OVERDUE", due_in_days=-5)
    overdue.date = TODAY - timedelta(days=30)
    f.make_invoice(globex, status="paid", number="INV-PAID")
    db.session.commit()
    for i in range(22):
        f.make_invoice(acme, status="draft", number=f"INV-BULK-{i:02d}")

    page1 = text(admin_client.get("/admin/invoices"))
    assert "Page 1 of 2" in page1 and "INV-2019-0001" not in page1  # newest first: the old one is on page 2
    page2 = text(admin_client.get("/admin/invoices?page=2"))
    assert "INV-2019-0001" in page2
    only_globex = text(admin_client.get("/admin/invoices?q=globex"))
    assert "INV-OVERDUE" in only_globex and "INV-PAID" in only_globex and "INV-BULK" not in only_globex
    assert "INV-PAID" in text(admin_client.get("/admin/invoices?q=inv-paid"))
    overdue_page = text(admin_client.get("/admin/invoices?status=overdue"))
    assert "INV-OVERDUE" in overdue_page and "INV-PAID" not in overdue_page and "INV-BULK" not in overdue_page
    paid_page = text(admin_client.get("/admin/invoices?status=paid"))
    assert "INV-PAID" in paid_page and "INV-OVERDUE" not in paid_page
    year_page = text(admin_client.get("/admin/invoices?year=2019"))
    assert "INV-2019-0001" in year_page and "INV-PAID" not in year_page
    # Wildcards are literal, junk filters are ignored, never an error.
    assert "No" in text(admin_client.get("/admin/invoices?q=%25%25_"))
    for junk in ("?page=abc", "?year=abc", "?year=99999", "?status=bogus", "?page=999999999999"):
        assert admin_client.get("/admin/invoices" + junk).status_code == 200


def test_every_list_searches_and_links_to_the_detail(admin_client, f):
    acme = f.make_customer("Acme")
    note = f.make_credit_note(acme)
    estimate = f.make_estimate(acme, status="accepted")
    proposal = f.make_proposal(acme, subject="Website relaunch")
    contract = f.make_contract(acme, subject="Hosting agreement")
    expectations = {
        "/admin/credit-notes": (note.number, f"/admin/credit-notes/{note.id}"),
        "/admin/estimates": (estimate.number, f"/admin/estimates/{estimate.id}"),
        "/admin/proposals": ("Website relaunch", f"/admin/proposals/{proposal.id}"),
        "/admin/contracts": ("Hosting agreement", f"/admin/contracts/{contract.id}"),
    }
    for url, (title, link) in expectations.items():
        page = text(admin_client.get(url + "?q=acme"))
        assert title in page and link in page, url
        assert title not in text(admin_client.get(url + "?q=nobody-matches")), url
    assert "Website relaunch" in text(admin_client.get("/admin/proposals?status=open"))
    assert "Website relaunch" not in text(admin_client.get("/admin/proposals?status=draft"))
    assert "Hosting agreement" in text(admin_client.get("/admin/contracts?status=not_signed"))
    assert "Hosting agreement" not in text(admin_client.get("/admin/contracts?status=signed"))
    assert estimate.number in text(admin_client.get("/admin/estimates?status=accepted"))


def test_admin_navigation_links_the_lists(app, admin_client):
    page = text(admin_client.get("/admin/invoices"))
    for href in ("/admin/invoices", "/admin/estimates", "/admin/proposals", "/admin/contracts", "/admin/credit-notes"):
        assert f'href="{href}"' in page
    assert '<a class="nav-link active" aria-current="page" href="/admin/invoices">Invoices</a>' in page
    # Tickets and Projects are linked only while their pages exist.
    for endpoint, href in (("admin.tickets", "/admin/tickets"), ("admin.project_list", "/admin/projects")):
        assert (f'href="{href}"' in page) == (endpoint in app.view_functions)


# --- invoices: create, validation, numbering ---------------------------------------------------


def test_create_invoice_ignores_blank_rows_and_computes_totals(admin_client, f):
    acme = f.make_customer("Acme", currency="USD")
    project = f.make_project(acme)
    data = sales_form(
        acme, lines=(LINE, ("", "", "", ""), ("Hosting", "", "50", "")), project=str(project.id), discount="10"
    )
    data["due_date"] = (TODAY + timedelta(days=14)).isoformat()
    response = admin_client.post("/admin/invoices/new", data=data)
    assert response.status_code == 302
    invoice = db.session.scalars(select(Invoice)).one()
    assert invoice.number == f"INV-{YEAR}-0001"
    assert [(i.description, i.quantity) for i in invoice.items] == [("Design work", 2), ("Hosting", 1)]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (Decimal("250"), Decimal("38"), Decimal("278"))
    assert invoice.currency == "USD" and invoice.project_id == project.id and invoice.status == "draft"
    assert response.location.endswith(f"/admin/invoices/{invoice.id}")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "invoice.created")).one()
    assert entry.actor_type == "staff" and entry.target_id == invoice.id


def test_numbers_are_unique_and_sequential_per_kind(admin_client, f):
    acme = f.make_customer("Acme")
    for _ in range(3):
        assert admin_client.post("/admin/invoices/new", data=sales_form(acme)).status_code == 302
    assert admin_client.post("/admin/credit-notes/new", data=sales_form(acme, status="open")).status_code == 302
    assert admin_client.post("/admin/estimates/new", data=sales_form(acme)).status_code == 302
    numbers = db.session.scalars(select(Invoice.number).order_by(Invoice.id)).all()
    assert numbers == [f"INV-{YEAR}-0001", f"INV-{YEAR}-0002", f"INV-{YEAR}-0003"]
    assert db.session.scalar(select(CreditNote.number)) == f"CN-{YEAR}-0001"
    assert db.session.scalar(select(Estimate.number)) == f"EST-{YEAR}-0001"


def test_double_submit_of_the_same_form_creates_one_invoice(admin_client, f):
    acme = f.make_customer("Acme")
    page = text(admin_client.get(f"/admin/invoices/new?customer_id={acme.id}"))
    token = page.split('name="form_token" type="hidden" value="')[1].split('"')[0]
    assert len(token) == 32
    first = admin_client.post("/admin/invoices/new", data=sales_form(acme, form_token=token))
    second = admin_client.post("/admin/invoices/new", data=sales_form(acme, form_token=token))
    assert first.location == second.location
    assert count(Invoice) == 1


INVALID_INVOICE_INPUT = [
    ({"lines": ()}, "Add at least one line item"),
    ({"lines": (("", "", "", ""),)}, "Add at least one line item"),
    ({"lines": (("x" * 10_000, "1", "5", "0"),)}, "Use at most 255 characters; this description has 10000."),
    ({"lines": (("Work", "abc", "5", "0"),)}, "Enter a number, e.g. 12.50."),
    ({"lines": (("Work", "NaN", "5", "0"),)}, "Enter a number, e.g. 12.50."),
    ({"lines": (("Work", "1", "Infinity", "0"),)}, "Enter a number, e.g. 12.50."),
    ({"lines": (("Work", "1", "-5", "0"),)}, "Enter a number from 0 to 1,000,000,000."),
    ({"lines": (("Work", "0", "5", "0"),)}, "Enter a number from 0.01 to 1,000,000."),
    ({"lines": (("Work", "1", "5", "101"),)}, "Enter a number from 0 to 100."),
    ({"lines": (("Work", "1", "1e400", "0"),)}, "Enter a number from 0 to 1,000,000,000."),
    ({"lines": (("", "1", "5", "0"),)}, "Enter a description."),
    ({"lines": (("Work", "1", "", "0"),)}, "Enter a unit price."),
    ({"customer": ""}, "Choose a customer."),
    ({"customer": "abc"}, "Choose one of the listed options."),
    ({"customer": "99999999999999"}, "Choose one of the listed options."),
    ({"customer": "99999"}, "Not a valid choice"),
    ({"date": "31.02.2026"}, "Not a valid date value."),
    ({"date": ""}, "Enter a date."),
    ({"due_date": "2000-01-01"}, "The due date cannot be before the invoice date."),
    ({"status": "paid"}, "Not a valid choice"),
    ({"currency": "EURO"}, "Use a three-letter code such as EUR."),
    ({"discount": "1000"}, "The discount cannot be larger than the subtotal plus tax."),
    ({"notes": "n" * 5001}, "Use at most 5000 characters; this has 5001."),
    ({"project": "abc"}, "Choose one of the listed options."),
    ({"project": "99999"}, "The chosen project does not exist."),
    ({"lines": (("Work", "1000000", "1000000000", "100"),) * 11}, "The total is too large"),
]


def test_invalid_invoice_input_gets_a_message_and_changes_nothing(admin_client, f):
    acme = f.make_customer("Acme")
    for change, message in INVALID_INVOICE_INPUT:
        change = dict(change)
        data = sales_form(acme, lines=change.pop("lines", (LINE,))) | change
        response = admin_client.post("/admin/invoices/new", data=data)
        assert response.status_code == 200, change
        assert message in text(response), (change, message)
    assert count(Invoice) == 0


def test_crafted_line_indices_are_no_error(admin_client, f):
    acme = f.make_customer("Acme")
    data = sales_form(acme) | {
        "lines-99999999999999999999-description": "Far away",
        "lines-99999999999999999999-unit_price": "1",
    }
    assert admin_client.post("/admin/invoices/new", data=data).status_code == 302
    # A forged row name (an index no form renders) is ignored, not an error.
    assert sorted(i.description for i in db.session.scalars(select(InvoiceItem))) == ["Design work"]


def test_project_of_another_customer_is_refused(admin_client, f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    foreign = f.make_project(globex, name="Globex rollout")
    response = admin_client.post("/admin/invoices/new", data=sales_form(acme, project=str(foreign.id)))
    assert "belongs to another customer" in text(response)
    assert count(Invoice) == 0
    invoice = f.make_invoice(acme)
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/edit", data=sales_form(status="unpaid", project=str(foreign.id))
    )
    assert "belongs to another customer" in text(response)
    assert reload(invoice).project_id is None


# --- invoices: edit rules -----------------------------------------------------------------------


def test_edit_invoice_replaces_lines_and_recalculates(admin_client, f):
    invoice = f.make_invoice(f.make_customer("Acme"), status="unpaid")
    page = text(admin_client.get(f"/admin/invoices/{invoice.id}/edit"))
    assert 'value="Work"' in page and "lines-9-description" in page and "lines-10-" not in page
    data = sales_form(lines=(("Consulting", "3", "80", "0"),), status="unpaid", notes="Thanks")
    assert admin_client.post(f"/admin/invoices/{invoice.id}/edit", data=data).status_code == 302
    invoice = reload(invoice)
    assert [i.description for i in invoice.items] == ["Consulting"]
    assert invoice.total == Decimal("240.00") and invoice.notes == "Thanks"
    assert count(InvoiceItem) == 1  # the old line is gone, not orphaned


def test_paid_or_cancelled_invoice_lines_cannot_change(admin_client, f):
    invoice = f.make_invoice(f.make_customer("Acme"), status="unpaid")
    record_payment(invoice, invoice.total, TODAY)
    page = text(admin_client.get(f"/admin/invoices/{invoice.id}/edit"))
    assert 'data-testid="lines-locked"' in page and "readonly" in page
    changed = sales_form(lines=(("Work", "2", "1", "19"),), status="paid")
    response = admin_client.post(f"/admin/invoices/{invoice.id}/edit", data=changed)
    assert "line items, discount and currency cannot be changed" in text(response)
    assert reload(invoice).total == Decimal("119.00")
    # The same lines posted back (the readonly form) with a new note are fine.
    same = sales_form(lines=(("Work", "2.00", "50.00", "19.00"),), status="paid", notes="Paid, thank you")
    assert admin_client.post(f"/admin/invoices/{invoice.id}/edit", data=same).status_code == 302
    assert reload(invoice).notes == "Paid, thank you" and reload(invoice).status == "paid"
    # Staff cannot set a paid invoice back to draft: its status follows the payments.
    response = admin_client.post(f"/admin/invoices/{invoice.id}/edit", data=sales_form(lines=(LINE,), status="draft"))
    assert response.status_code == 200 and reload(invoice).status == "paid"

    cancelled = f.make_invoice(f.make_customer("Beta"), status="cancelled")
    response = admin_client.post(
        f"/admin/invoices/{cancelled.id}/edit", data=sales_form(lines=(LINE,), status="cancelled")
    )
    assert "cancelled; its line items" in text(response)
    assert reload(cancelled).total == Decimal("119.00")


def test_partially_paid_invoice_keeps_total_above_the_paid_amount(admin_client, f):
    invoice = f.make_invoice(f.make_customer("Acme"), status="unpaid")
    record_payment(invoice, Decimal("100"), TODAY)
    too_small = sales_form(lines=(("Work", "1", "50", "0"),), status="partially_paid")
    assert "below the 100.00 already paid" in text(
        admin_client.post(f"/admin/invoices/{invoice.id}/edit", data=too_small)
    )
    exact = sales_form(lines=(("Work", "1", "100", "0"),), status="partially_paid")
    assert admin_client.post(f"/admin/invoices/{invoice.id}/edit", data=exact).status_code == 302
    assert reload(invoice).status == "paid"  # the status follows the payments


def test_unknown_documents_are_404(admin_client):
    for url in (
        "/admin/invoices/999/edit",
        "/admin/estimates/999/edit",
        "/admin/proposals/999/edit",
        "/admin/contracts/999/edit",
        "/admin/credit-notes/99999999999/edit",
    ):
        assert admin_client.get(url).status_code == 404, url
    assert admin_client.post("/admin/estimates/999/convert").status_code == 404
    assert admin_client.post("/admin/invoices/999/delete").status_code == 404


def test_payment_with_junk_amount_is_a_message(admin_client, f):
    invoice = f.make_invoice(f.make_customer("Acme"), status="unpaid")
    for amount in ("NaN", "abc", "-5", ""):
        response = admin_client.post(
            f"/admin/invoices/{invoice.id}/payments",
            data={"amount": amount, "paid_on": TODAY.isoformat()},
            follow_redirects=True,
        )
        assert response.status_code == 200 and "Payment not recorded" in text(response), amount
    assert reload(invoice).amount_paid == 0


def test_sending_and_recording_a_payment_are_audited_as_the_staff_members(admin_client, f):
    acme = f.make_customer("Acme")
    anna = f.make_contact(acme, email="anna@acme.example")
    invoice = f.make_invoice(acme, status="draft")
    response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [anna.id]})
    assert response.status_code == 302
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/payments", data={"amount": "10", "paid_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    entries = {e.action: e for e in db.session.scalars(select(AuditEntry)).all()}
    sent, paid = entries["invoice.sent"], entries["invoice.payment_recorded"]
    assert sent.actor_type == paid.actor_type == "staff"
    assert sent.target_id == paid.target_id == invoice.id
    assert json.loads(sent.details)["recipients"] == ["anna@acme.example"]
    assert json.loads(paid.details)["amount"] == "10.00"
