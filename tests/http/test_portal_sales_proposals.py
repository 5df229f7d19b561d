"""Proposals in the customer area: accepting and declining once, what cannot be decided, the
comments between contact and staff, and access."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.extensions import db
from core.models import OutboxEmail, Proposal, ProposalComment
from tests.conftest import text
from tests.http.helpers.portal_sales import TODAY, fresh, outbox

# -- proposals -------------------------------------------------------------------------------


def test_accepting_a_proposal_once(world, f):
    proposal = f.make_proposal(world["customer"], subject="Website redesign")
    client = world["client"]
    response = client.post(f"/proposals/{proposal.id}/accept", data={"signer_name": "Anna Able"}, follow_redirects=True)
    assert "proposal is accepted" in text(response)
    saved = fresh(Proposal, proposal.id)
    assert (saved.status, saved.signer_name, saved.decided_ip) == ("accepted", "Anna Able", "127.0.0.1")
    assert outbox("staff_proposal_decided") == sorted(s.email for s in world["staff"])

    for action in ("accept", "decline"):
        again = client.post(f"/proposals/{proposal.id}/{action}", data={"signer_name": "Anna"}, follow_redirects=True)
        assert "already accepted" in text(again)
    assert fresh(Proposal, proposal.id).status == "accepted"
    assert len(outbox("staff_proposal_decided")) == 2


def test_declining_a_proposal_and_what_cannot_be_decided(world, f):
    proposal = f.make_proposal(world["customer"])
    client = world["client"]
    assert "is declined" in text(client.post(f"/proposals/{proposal.id}/decline", follow_redirects=True))
    assert fresh(Proposal, proposal.id).status == "declined"
    assert len(outbox("staff_proposal_decided")) == 2
    assert "already declined" in text(client.post(f"/proposals/{proposal.id}/decline", follow_redirects=True))
    assert len(outbox("staff_proposal_decided")) == 2

    past = f.make_proposal(world["customer"])
    past.open_till = TODAY - timedelta(days=1)
    db.session.commit()
    assert "Accept and sign" not in text(client.get(f"/proposals/{past.id}"))
    refused = client.post(f"/proposals/{past.id}/accept", data={"signer_name": "Anna"}, follow_redirects=True)
    assert "was open until" in text(refused)
    assert fresh(Proposal, past.id).status == "open"

    empty = client.post(f"/proposals/{past.id}/accept", data={"signer_name": ""})
    assert fresh(Proposal, past.id).status == "open" and empty.status_code == 302

    draft = f.make_proposal(world["customer"], status="draft", subject="Secret draft")
    assert client.get(f"/proposals/{draft.id}").status_code == 404
    assert client.post(f"/proposals/{draft.id}/accept", data={"signer_name": "A"}).status_code == 404
    assert client.post(f"/proposals/{draft.id}/comments", data={"body": "Hi"}).status_code == 404
    assert "Secret draft" not in text(client.get("/proposals"))
    assert len(outbox("staff_proposal_decided")) == 2


def test_comments_between_contact_and_staff(world, f):
    proposal = f.make_proposal(world["customer"])
    db.session.add(ProposalComment(proposal_id=proposal.id, staff_id=world["staff"][0].id, body="Any questions?"))
    db.session.commit()
    client = world["client"]

    response = client.post(
        f"/proposals/{proposal.id}/comments",
        data={"body": "Can we start in May?\r\n<b>Thanks</b>"},
        follow_redirects=True,
    )
    page = text(response)
    assert "comment is posted" in page
    assert "Any questions?" in page and "Can we start in May?" in page
    assert "&lt;b&gt;Thanks&lt;/b&gt;" in page and "<b>Thanks</b>" not in page
    rows = db.session.scalars(select(ProposalComment).where(ProposalComment.contact_id.is_not(None))).all()
    assert [(r.proposal_id, r.contact_id, r.body) for r in rows] == [
        (proposal.id, world["me"].id, "Can we start in May?\n<b>Thanks</b>")
    ]
    assert outbox("staff_proposal_comment") == sorted(s.email for s in world["staff"])
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.event == "staff_proposal_comment")).first()
    assert "Anna Able" in mail.text_body and "Can we start in May?" in mail.text_body
    assert mail.link.endswith(f"/admin/proposals/{proposal.id}")

    # The same comment again (a double submit) is refused; a different one is fine.
    again = client.post(
        f"/proposals/{proposal.id}/comments",
        data={"body": "Can we start in May?\n<b>Thanks</b>"},
        follow_redirects=True,
    )
    assert "already posted" in text(again)
    assert len(outbox("staff_proposal_comment")) == 2
    client.post(f"/proposals/{proposal.id}/comments", data={"body": "One more thing."})
    assert len(outbox("staff_proposal_comment")) == 4

    for body in ("", "   ", "x" * 5001):
        bad = client.post(f"/proposals/{proposal.id}/comments", data={"body": body})
        assert bad.status_code == 200 and ("Write a comment first" in text(bad) or "at most 5000" in text(bad))
    assert db.session.scalar(select(func.count(ProposalComment.id))) == 3


def test_proposal_access(world, f):
    proposal = f.make_proposal(world["customer"], subject="Private offer")
    for client, status in ((world["stranger"], 404), (world["nothing"], 403)):
        assert client.get(f"/proposals/{proposal.id}").status_code == status
        assert client.post(f"/proposals/{proposal.id}/accept", data={"signer_name": "X"}).status_code == status
        assert client.post(f"/proposals/{proposal.id}/decline").status_code == status
        assert client.post(f"/proposals/{proposal.id}/comments", data={"body": "Hi"}).status_code == status
    assert "Private offer" not in text(world["stranger"].get("/proposals"))
    assert fresh(Proposal, proposal.id).status == "open"
    assert db.session.scalar(select(func.count(ProposalComment.id))) == 0
    assert outbox("staff_proposal_decided") == [] and outbox("staff_proposal_comment") == []
