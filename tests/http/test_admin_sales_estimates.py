"""Credit notes and estimates in the admin area: a credit note links only an invoice of its
customer, decided estimates are locked, accepted ones convert once; only drafts can be deleted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Contract, CreditNote, Estimate, Invoice, Proposal, utcnow
from tests.conftest import count, text
from tests.http.helpers.admin_sales import TODAY, YEAR, reload, sales_form

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
