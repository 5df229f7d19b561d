"""Staff create, edit, list, delete and convert sales documents in the admin area."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import (
    AuditEntry,
    Contract,
    CreditNote,
    Estimate,
    Invoice,
    InvoiceItem,
    Proposal,
    ProposalComment,
    utcnow,
)
from core.services.invoices import record_payment

TODAY = date.today()
YEAR = TODAY.year
LINE = ("Design work", "2", "100", "19")  # 200.00 + 38.00 tax = 238.00


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def lines_data(*lines) -> dict:
    data = {}
    for i, (description, quantity, price, tax) in enumerate(lines):
        data |= {
            f"lines-{i}-description": description,
            f"lines-{i}-quantity": quantity,
            f"lines-{i}-unit_price": price,
            f"lines-{i}-tax_rate": tax,
        }
    return data


def sales_form(customer=None, lines=(LINE,), **fields) -> dict:
    data = {"date": TODAY.isoformat(), "status": "draft", "currency": "", "discount": "", "notes": "", "project": ""}
    if customer is not None:
        data["customer"] = str(customer.id)
    data |= lines_data(*lines)
    data.update(fields)
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


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


# --- credit notes and estimates -----------------------------------------------------------------


def test_credit_note_links_only_an_invoice_of_its_customer(admin_client, f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    own, foreign = f.make_invoice(acme), f.make_invoice(globex)
    refused = admin_client.post(
        "/admin/credit-notes/new", data=sales_form(acme, status="open", invoice=str(foreign.id))
    )
    assert "invoice belongs to another customer" in text(refused)
    assert count(CreditNote) == 0
    response = admin_client.post("/admin/credit-notes/new", data=sales_form(acme, status="open", invoice=str(own.id)))
    assert response.status_code == 302
    note = db.session.scalars(select(CreditNote)).one()
    assert note.invoice_id == own.id and note.total == Decimal("238.00")
    detail = text(admin_client.get(response.location))
    assert own.number in detail and "Delete draft" in detail
    edit = sales_form(lines=(("Refund", "1", "10", "0"),), status="closed", invoice="")
    assert admin_client.post(f"/admin/credit-notes/{note.id}/edit", data=edit).status_code == 302
    note = reload(note)
    assert note.invoice_id is None and note.total == Decimal("10.00") and note.status == "closed"


def test_estimate_create_edit_and_decided_estimate_is_locked(admin_client, f):
    acme = f.make_customer("Acme")
    data = sales_form(acme, expiry_date=(TODAY + timedelta(days=30)).isoformat())
    assert admin_client.post("/admin/estimates/new", data=data).status_code == 302
    estimate = db.session.scalars(select(Estimate)).one()
    assert estimate.expiry_date == TODAY + timedelta(days=30)
    bad = sales_form(expiry_date=(TODAY - timedelta(days=1)).isoformat())
    assert "expiry date cannot be before" in text(admin_client.post(f"/admin/estimates/{estimate.id}/edit", data=bad))
    accept = sales_form(status="accepted")
    assert admin_client.post(f"/admin/estimates/{estimate.id}/edit", data=accept).status_code == 302
    estimate = reload(estimate)
    assert estimate.status == "accepted" and estimate.decided_at is not None
    for status in ("accepted", "declined"):
        estimate.status = status
        db.session.commit()
        page = text(admin_client.get(f"/admin/estimates/{estimate.id}/edit"))
        assert (
            f"This estimate was {status}; it can no longer be edited." in page
            and '<form method="post" novalidate>' not in page
        )
        response = admin_client.post(
            f"/admin/estimates/{estimate.id}/edit", data=sales_form(lines=(("Other", "1", "1", "0"),), status="draft")
        )
        assert "can no longer be edited" in text(response)
        assert reload(estimate).status == status and reload(estimate).total == Decimal("238.00")


def test_accepted_estimate_converts_to_one_draft_invoice(admin_client, f):
    acme = f.make_customer("Acme")
    project = f.make_project(acme)
    estimate = f.make_estimate(acme, status="accepted")
    estimate.project_id, estimate.discount, estimate.notes = project.id, Decimal("9"), "As agreed"
    estimate.recalculate()
    db.session.commit()
    assert "Convert to invoice" in text(admin_client.get(f"/admin/estimates/{estimate.id}"))
    first = admin_client.post(f"/admin/estimates/{estimate.id}/convert")
    second = admin_client.post(f"/admin/estimates/{estimate.id}/convert")
    assert first.status_code == second.status_code == 302
    invoice = db.session.scalars(select(Invoice)).one()
    assert first.location == second.location == f"/admin/invoices/{invoice.id}"
    assert invoice.status == "draft" and invoice.number == f"INV-{YEAR}-0001"
    assert [(i.description, i.quantity, i.unit_price) for i in invoice.items] == [("Work", 2, 50)]
    assert (invoice.total, invoice.project_id, invoice.notes) == (Decimal("110.00"), project.id, "As agreed")
    assert reload(estimate).invoice_id == invoice.id
    detail = text(admin_client.get(f"/admin/estimates/{estimate.id}"))
    assert "Convert to invoice" not in detail and invoice.number in detail
    assert estimate.number in text(admin_client.get(f"/admin/invoices/{invoice.id}"))


@pytest.mark.parametrize("status", ["draft", "sent", "declined", "expired"])
def test_only_accepted_estimates_convert(admin_client, f, status):
    estimate = f.make_estimate(f.make_customer("Acme"), status=status)
    response = admin_client.post(f"/admin/estimates/{estimate.id}/convert", follow_redirects=True)
    assert "Only an accepted estimate can be converted" in text(response)
    assert count(Invoice) == 0 and reload(estimate).invoice_id is None


# --- delete drafts only ------------------------------------------------------------------------


def test_only_drafts_can_be_deleted(admin_client, f):
    acme = f.make_customer("Acme")
    draft, unpaid = f.make_invoice(acme, status="draft"), f.make_invoice(acme, status="unpaid")
    assert "Delete draft" in text(admin_client.get(f"/admin/invoices/{draft.id}"))
    assert "Delete draft" not in text(admin_client.get(f"/admin/invoices/{unpaid.id}"))
    response = admin_client.post(f"/admin/invoices/{unpaid.id}/delete", follow_redirects=True)
    assert "Only draft invoices can be deleted" in text(response)
    assert admin_client.post(f"/admin/invoices/{draft.id}/delete").location == "/admin/invoices"
    assert admin_client.post(f"/admin/invoices/{draft.id}/delete").status_code == 404  # a second click
    assert db.session.scalars(select(Invoice.id)).all() == [unpaid.id]

    sent_estimate, draft_estimate = f.make_estimate(acme, status="sent"), f.make_estimate(acme, status="draft")
    assert admin_client.post(f"/admin/estimates/{sent_estimate.id}/delete").status_code == 302
    assert admin_client.post(f"/admin/estimates/{draft_estimate.id}/delete").status_code == 302
    assert db.session.scalars(select(Estimate.id)).all() == [sent_estimate.id]

    note, sent_note = f.make_credit_note(acme), f.make_credit_note(acme)
    sent_note.sent_at = utcnow()
    contract, signed = f.make_contract(acme), f.make_contract(acme, subject="Signed")
    signed.signed_at, signed.signer_name = utcnow(), "Anna"
    db.session.commit()
    for url in (
        f"/admin/credit-notes/{note.id}",
        f"/admin/credit-notes/{sent_note.id}",
        f"/admin/contracts/{contract.id}",
        f"/admin/contracts/{signed.id}",
    ):
        admin_client.post(url + "/delete")
    assert db.session.scalars(select(CreditNote.id)).all() == [sent_note.id]
    assert db.session.scalars(select(Contract.id)).all() == [signed.id]

    open_proposal, draft_proposal = f.make_proposal(acme), f.make_proposal(acme, status="draft")
    assert "Only draft proposals" in text(
        admin_client.post(f"/admin/proposals/{open_proposal.id}/delete", follow_redirects=True)
    )
    assert admin_client.post(f"/admin/proposals/{draft_proposal.id}/delete").location == "/admin/proposals"
    assert db.session.scalars(select(Proposal.id)).all() == [open_proposal.id]


def test_deleting_a_converted_draft_invoice_frees_the_estimate(admin_client, f):
    estimate = f.make_estimate(f.make_customer("Acme"), status="accepted")
    admin_client.post(f"/admin/estimates/{estimate.id}/convert")
    invoice = db.session.scalars(select(Invoice)).one()
    assert admin_client.post(f"/admin/invoices/{invoice.id}/delete").status_code == 302
    assert reload(estimate).invoice_id is None


# --- contracts and proposals -------------------------------------------------------------------


def contract_form(customer=None, **fields) -> dict:
    data = {
        "subject": "Support contract",
        "content": "Terms",
        "value": "1200",
        "currency": "",
        "start_date": TODAY.isoformat(),
        "end_date": "",
        "project": "",
    }
    if customer is not None:
        data["customer"] = str(customer.id)
    return data | fields


def test_contract_create_edit_and_signed_contract_is_locked(admin_client, f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    response = admin_client.post("/admin/contracts/new", data=contract_form(acme))
    assert response.status_code == 302
    contract = db.session.scalars(select(Contract)).one()
    assert (contract.subject, contract.value, contract.currency) == ("Support contract", Decimal("1200.00"), "EUR")
    bad_dates = contract_form(end_date=(TODAY - timedelta(days=1)).isoformat())
    assert "end date cannot be before" in text(
        admin_client.post(f"/admin/contracts/{contract.id}/edit", data=bad_dates)
    )
    foreign = contract_form(project=str(f.make_project(globex).id))
    assert "belongs to another customer" in text(
        admin_client.post(f"/admin/contracts/{contract.id}/edit", data=foreign)
    )
    assert "Enter a subject." in text(
        admin_client.post(f"/admin/contracts/{contract.id}/edit", data=contract_form(subject=""))
    )
    assert "at most 200" in text(
        admin_client.post("/admin/contracts/new", data=contract_form(acme, subject="s" * 10_000))
    )
    renamed = contract_form(subject="Support contract 2026", value="1500")
    assert admin_client.post(f"/admin/contracts/{contract.id}/edit", data=renamed).status_code == 302
    assert reload(contract).value == Decimal("1500.00")

    contract = reload(contract)
    contract.signed_at, contract.signer_name = utcnow(), "Anna"
    db.session.commit()
    assert "This contract is signed" in text(admin_client.get(f"/admin/contracts/{contract.id}/edit"))
    response = admin_client.post(f"/admin/contracts/{contract.id}/edit", data=contract_form(subject="Changed"))
    assert "This contract is signed" in text(response)
    assert reload(contract).subject == "Support contract 2026"
    assert count(Contract) == 1


def proposal_form(customer=None, **fields) -> dict:
    data = {
        "subject": "Website relaunch",
        "content": "We propose...",
        "total": "5000",
        "currency": "",
        "date": TODAY.isoformat(),
        "open_till": (TODAY + timedelta(days=14)).isoformat(),
        "status": "open",
        "project": "",
    }
    if customer is not None:
        data["customer"] = str(customer.id)
    return data | fields


def test_proposal_create_edit_and_decided_proposal_is_locked(admin_client, f):
    acme = f.make_customer("Acme")
    assert admin_client.post("/admin/proposals/new", data=proposal_form(acme)).status_code == 302
    proposal = db.session.scalars(select(Proposal)).one()
    assert (proposal.total, proposal.status, proposal.customer_id) == (Decimal("5000.00"), "open", acme.id)
    for bad, message in (
        ({"open_till": "2000-01-01"}, "'Open till' cannot be before"),
        ({"total": "NaN"}, "Enter a number"),
        ({"status": "won"}, "Not a valid choice"),
        ({"content": "c" * 50_001}, "Use at most 50000 characters; this has 50001."),
    ):
        response = admin_client.post(f"/admin/proposals/{proposal.id}/edit", data=proposal_form(**bad))
        assert message in text(response).replace("&#39;", "'"), bad
    assert (
        admin_client.post(f"/admin/proposals/{proposal.id}/edit", data=proposal_form(total="4500")).status_code == 302
    )
    assert reload(proposal).total == Decimal("4500.00")
    assert (
        admin_client.post(
            f"/admin/proposals/{proposal.id}/edit", data=proposal_form(status="accepted", total="4500")
        ).status_code
        == 302
    )
    assert reload(proposal).decided_at is not None
    response = admin_client.post(f"/admin/proposals/{proposal.id}/edit", data=proposal_form(total="1"))
    assert "This proposal was accepted" in text(response)
    assert reload(proposal).total == Decimal("4500.00")


def test_staff_comment_on_a_proposal(admin_client, f):
    proposal = f.make_proposal(f.make_customer("Acme"))
    page = text(admin_client.get(f"/admin/proposals/{proposal.id}"))
    token = page.split('name="form_token" type="hidden" value="')[1].split('"')[0]
    for _ in range(2):  # a double submit adds one comment
        response = admin_client.post(
            f"/admin/proposals/{proposal.id}/comments", data={"body": "Call me", "form_token": token}
        )
        assert response.status_code == 302
    comment = db.session.scalars(select(ProposalComment)).one()
    assert comment.staff_id is not None and comment.contact_id is None and comment.body == "Call me"
    assert "Call me" in text(admin_client.get(f"/admin/proposals/{proposal.id}"))
    for body, message in (
        ("   ", "The comment is required."),
        ("x" * 5001, "Use at most 5000 characters; this has 5001."),
    ):
        response = admin_client.post(f"/admin/proposals/{proposal.id}/comments", data={"body": body})
        assert response.status_code == 200 and message in text(response)
    assert count(ProposalComment) == 1
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "proposal.commented")).one()
    assert json.loads(audit.details)["proposal_id"] == proposal.id


def test_new_document_forms_preselect_the_customer(admin_client, f):
    acme = f.make_customer("Acme", currency="CHF")
    f.make_project(acme, name="Acme rollout")
    f.make_project(f.make_customer("Globex"), name="Globex rollout")
    for url in (
        "/admin/invoices/new",
        "/admin/credit-notes/new",
        "/admin/estimates/new",
        "/admin/proposals/new",
        "/admin/contracts/new",
    ):
        page = text(admin_client.get(f"{url}?customer_id={acme.id}"))
        assert f'<option selected value="{acme.id}">Acme</option>' in page, url
        assert 'value="CHF"' in page and "Acme rollout" in page and "Globex rollout" not in page, url
        everything = text(admin_client.get(url + "?customer_id=junk"))
        assert "Acme · Acme rollout" in everything and "Globex · Globex rollout" in everything, url


@pytest.mark.csrf
def test_document_actions_need_the_csrf_token(app, f):
    from tests.http.test_csrf import staff_client, token_from

    client = staff_client(app, f)
    acme = f.make_customer("Acme")
    draft, estimate = f.make_invoice(acme, status="draft"), f.make_estimate(acme, status="accepted")
    for url in (f"/admin/invoices/{draft.id}/delete", f"/admin/estimates/{estimate.id}/convert", "/admin/invoices/new"):
        assert client.post(url, data=sales_form(acme)).status_code == 400, url
    assert count(Invoice) == 1
    token = token_from(client, f"/admin/estimates/{estimate.id}")
    assert client.post(f"/admin/estimates/{estimate.id}/convert", data={"csrf_token": token}).status_code == 302
    token = token_from(client, f"/admin/invoices/{draft.id}")
    assert client.post(f"/admin/invoices/{draft.id}/delete", data={"csrf_token": token}).status_code == 302
    assert db.session.scalars(select(Invoice.status)).all() == ["draft"]  # the converted one is left
