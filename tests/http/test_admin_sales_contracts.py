"""Contracts and proposals in the admin area: create, edit, locked once signed or decided, staff
comments on proposals; new document forms preselect the customer; every action needs the CSRF
token."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Contract, Invoice, Proposal, ProposalComment, utcnow
from tests.conftest import count, text
from tests.http.helpers.admin_sales import TODAY, document_form, reload, sales_form

# --- contracts and proposals -------------------------------------------------------------------


def contract_form(customer=None, **fields) -> dict:
    data = {"subject": "Support contract", "content": "Terms", "value": "1200", "currency": "", "project": ""}
    return document_form(data | {"start_date": TODAY.isoformat(), "end_date": ""}, customer, **fields)


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
    data = {"subject": "Website relaunch", "content": "We propose...", "total": "5000", "currency": "", "project": ""}
    dates = {"date": TODAY.isoformat(), "open_till": (TODAY + timedelta(days=14)).isoformat()}
    return document_form(data | dates | {"status": "open"}, customer, **fields)


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
    for _ in range(2):  # the same text again at once (a double submit) adds one comment
        response = admin_client.post(f"/admin/proposals/{proposal.id}/comments", data={"body": "Call me"})
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
