"""Estimates in the customer area: accepting (with the signer's name and address) and declining
once, what cannot be decided, the PDF, access, and a concurrent decision."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.extensions import db
from core.models import AuditEntry, Contract, Estimate
from core.services import ServiceError
from core.services.decisions import decide, sign_contract
from tests.conftest import text
from tests.http.helpers.portal_sales import OTHER_IP, TODAY, expect_pdf, fresh, outbox

# -- estimates -------------------------------------------------------------------------------


def test_accepting_an_estimate_records_the_signature_and_notifies_once(world, f):
    estimate = f.make_estimate(world["customer"])
    client = world["client"]
    assert "Accept and sign" in text(client.get(f"/estimates/{estimate.id}"))

    response = client.post(
        f"/estimates/{estimate.id}/accept",
        data={"signer_name": "  Anna   Able "},
        environ_base={"REMOTE_ADDR": OTHER_IP},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "is accepted" in text(response)
    saved = fresh(Estimate, estimate.id)
    assert (saved.status, saved.signer_name, saved.decided_ip) == ("accepted", "Anna Able", OTHER_IP)
    decided_at = saved.decided_at
    assert decided_at is not None
    assert outbox("staff_estimate_decided") == sorted(s.email for s in world["staff"])
    assert outbox("estimate_decided") == sorted([world["me"].email, world["colleague"].email])
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "estimate.accepted")) == 1
    assert "Accepted and signed by" in text(client.get(f"/estimates/{estimate.id}"))

    # A double submit, then a change of mind: nothing changes, and the contact is told why.
    for action, data in (("accept", {"signer_name": "Anna Able"}), ("accept", {}), ("decline", {})):
        again = client.post(f"/estimates/{estimate.id}/{action}", data=data, follow_redirects=True)
        assert again.status_code == 200
        assert "already accepted by Anna Able" in text(again) and "cannot be changed" in text(again)
    saved = fresh(Estimate, estimate.id)
    assert (saved.status, saved.decided_at, saved.decided_ip) == ("accepted", decided_at, OTHER_IP)
    assert len(outbox("staff_estimate_decided")) == 2 and len(outbox("estimate_decided")) == 2


def test_declining_an_estimate_once(world, f):
    estimate = f.make_estimate(world["customer"])
    client = world["client"]
    response = client.post(f"/estimates/{estimate.id}/decline", follow_redirects=True)
    assert "is declined" in text(response)
    saved = fresh(Estimate, estimate.id)
    assert saved.status == "declined" and saved.decided_at is not None and saved.signer_name is None
    assert saved.decided_ip == "127.0.0.1"
    assert len(outbox("staff_estimate_decided")) == 2
    assert outbox("estimate_decided") == sorted([world["me"].email, world["colleague"].email])

    again = client.post(f"/estimates/{estimate.id}/accept", data={"signer_name": "Anna"}, follow_redirects=True)
    assert "already declined" in text(again)
    assert fresh(Estimate, estimate.id).status == "declined"
    assert len(outbox("staff_estimate_decided")) == 2 and len(outbox("estimate_decided")) == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 161])
def test_accepting_needs_a_name_of_at_most_160_characters(world, f, name):
    estimate = f.make_estimate(world["customer"])
    response = world["client"].post(f"/estimates/{estimate.id}/accept", data={"signer_name": name})
    assert response.status_code == 200
    assert "This field is required" in text(response) or "160" in text(response)
    assert fresh(Estimate, estimate.id).status == "sent"
    assert outbox("staff_estimate_decided") == []


def test_an_expired_or_unsent_estimate_cannot_be_decided(world, f):
    expired = f.make_estimate(world["customer"])
    expired.expiry_date = TODAY - timedelta(days=1)
    db.session.commit()
    client = world["client"]
    page = text(client.get(f"/estimates/{expired.id}"))
    assert "Accept and sign" not in page and "expired on" in page and ">Expired</span>" in page
    response = client.post(f"/estimates/{expired.id}/accept", data={"signer_name": "Anna"}, follow_redirects=True)
    assert "expired on" in text(response)
    assert fresh(Estimate, expired.id).status == "sent"

    draft = f.make_estimate(world["customer"], status="draft")
    for url in (f"/estimates/{draft.id}", f"/estimates/{draft.id}/pdf"):
        assert client.get(url).status_code == 404
    assert client.post(f"/estimates/{draft.id}/accept", data={"signer_name": "Anna"}).status_code == 404
    assert draft.number not in text(client.get("/estimates"))
    assert fresh(Estimate, draft.id).status == "draft"
    assert outbox("staff_estimate_decided") == []


def test_estimate_pdf_and_access(world, f):
    estimate = f.make_estimate(world["customer"])
    expect_pdf(world["client"].get(f"/estimates/{estimate.id}/pdf"), f"estimate-{estimate.number}")
    for client, status in ((world["stranger"], 404), (world["nothing"], 403)):
        for url in (f"/estimates/{estimate.id}", f"/estimates/{estimate.id}/pdf"):
            assert client.get(url).status_code == status
        assert client.post(f"/estimates/{estimate.id}/accept", data={"signer_name": "X"}).status_code == status
        assert client.post(f"/estimates/{estimate.id}/decline").status_code == status
    assert world["nothing"].get("/estimates").status_code == 403
    assert fresh(Estimate, estimate.id).status == "sent"
    assert outbox("staff_estimate_decided") == [] and outbox("estimate_decided") == []


def test_a_concurrent_decision_loses_cleanly(world, f):
    """Two requests that both saw "sent": the conditional UPDATE lets only the first win."""
    estimate = f.make_estimate(world["customer"])
    assert estimate.status == "sent"  # loaded in this session, now stale:
    with db.engine.begin() as conn:
        conn.execute(update(Estimate).where(Estimate.id == estimate.id).values(status="declined"))
    with pytest.raises(ServiceError, match="already declined"):
        decide(estimate, world["me"], accept=True, signer_name="Anna", ip=None, today=TODAY)
    assert fresh(Estimate, estimate.id).status == "declined"
    assert outbox("staff_estimate_decided") == [] and outbox("estimate_decided") == []

    contract = f.make_contract(world["customer"])
    with db.engine.begin() as conn:
        conn.execute(update(Contract).where(Contract.id == contract.id).values(signer_name="Other", signed_at=TODAY))
    with pytest.raises(ServiceError, match="already signed by Other"):
        sign_contract(contract, world["me"], signer_name="Anna", ip=None)
    assert fresh(Contract, contract.id).signer_name == "Other"
    assert outbox("staff_contract_signed") == []
