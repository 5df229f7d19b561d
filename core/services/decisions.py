"""What a customer's contact decides about a sales document: accept or decline an estimate or a
proposal, sign a contract, comment on a proposal.

Every decision is final: once made, the customer cannot change it (staff can, in the admin area).
Each function checks the state first (a clear message when the document was already decided),
then makes the change with a conditional ``UPDATE ... WHERE <still undecided>`` and checks the
row count, so two concurrent requests (a double click, two tabs, two colleagues) can never both
win: the loser gets the same clear message and nothing changes. Emails are queued in the same
transaction (outbox), then the function commits.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from core import audit
from core.extensions import db
from core.i18n import _, _l, short_date, short_datetime
from core.mail.outbox import one_line
from core.models import Contact, Contract, Customer, Estimate, Proposal, ProposalComment, utcnow
from core.notifications.notify import notify_estimate, notify_staff

from . import ServiceError

SIGNER_NAME_MAX = 160
COMMENT_MAX = 5000
# A second identical comment within this window is a double submit, not a new comment.
DUPLICATE_COMMENT_SECONDS = 120


def estimate_is_open(estimate: Estimate, today: date) -> bool:
    """True while the customer may still accept or decline: sent and not past its expiry date."""
    return estimate.status == "sent" and (estimate.expiry_date is None or estimate.expiry_date >= today)


def estimate_display_status(estimate: Estimate, today: date) -> str:
    """Status as the customer sees it: a sent estimate past its expiry date is expired."""
    if estimate.status == "sent" and not estimate_is_open(estimate, today):
        return "expired"
    return estimate.status


def proposal_is_open(proposal: Proposal, today: date) -> bool:
    """True while the customer may still accept or decline: open and not past its open-till date."""
    return proposal.status == "open" and (proposal.open_till is None or proposal.open_till >= today)


def clean_signer_name(name: str | None) -> str:
    """The typed full name on one line; ServiceError when empty or longer than 160 characters."""
    name = one_line(name or "")
    if not name:
        raise ServiceError(_("Type your full name to sign."))
    if len(name) > SIGNER_NAME_MAX:
        raise ServiceError(_("The name can have at most %(max)d characters.", max=SIGNER_NAME_MAX))
    return name


def _decided_message(noun: str, status: str, signer: str | None, when) -> str:
    """ "This <document> was already <decided> [by <signer> on <when> UTC]; it cannot be changed."."""
    key = (noun, status)
    if when and signer:
        return _DECIDED_BY_ON[key] % {"signer": signer, "when": short_datetime(when)}
    if when:
        return _DECIDED_ON[key] % {"when": short_datetime(when)}
    return str(_DECIDED[key])


# Whole sentences per document and decision (German word order and genders differ).
_DECIDED = {
    ("estimate", "accepted"): _l("This estimate was already accepted; it cannot be changed."),
    ("estimate", "declined"): _l("This estimate was already declined; it cannot be changed."),
    ("proposal", "accepted"): _l("This proposal was already accepted; it cannot be changed."),
    ("proposal", "declined"): _l("This proposal was already declined; it cannot be changed."),
    ("contract", "signed"): _l("This contract was already signed; it cannot be changed."),
}
_DECIDED_ON = {
    ("estimate", "accepted"): _l("This estimate was already accepted on %(when)s UTC; it cannot be changed."),
    ("estimate", "declined"): _l("This estimate was already declined on %(when)s UTC; it cannot be changed."),
    ("proposal", "accepted"): _l("This proposal was already accepted on %(when)s UTC; it cannot be changed."),
    ("proposal", "declined"): _l("This proposal was already declined on %(when)s UTC; it cannot be changed."),
    ("contract", "signed"): _l("This contract was already signed on %(when)s UTC; it cannot be changed."),
}
_DECIDED_BY_ON = {
    ("estimate", "accepted"): _l(
        "This estimate was already accepted by %(signer)s on %(when)s UTC; it cannot be changed."
    ),
    ("estimate", "declined"): _l(
        "This estimate was already declined by %(signer)s on %(when)s UTC; it cannot be changed."
    ),
    ("proposal", "accepted"): _l(
        "This proposal was already accepted by %(signer)s on %(when)s UTC; it cannot be changed."
    ),
    ("proposal", "declined"): _l(
        "This proposal was already declined by %(signer)s on %(when)s UTC; it cannot be changed."
    ),
    ("contract", "signed"): _l("This contract was already signed by %(signer)s on %(when)s UTC; it cannot be changed."),
}
_NO_LONGER_OPEN = {
    "estimate": _l("This estimate is no longer open for a decision."),
    "proposal": _l("This proposal is no longer open for a decision."),
    "contract": _l("This contract is no longer open for a decision."),
}


def _lost_race(obj, noun: str) -> ServiceError:
    """Undo this request's transaction and explain the state another request left behind."""
    db.session.rollback()
    db.session.refresh(obj)
    if noun == "contract":
        return ServiceError(_decided_message(noun, "signed", obj.signer_name, obj.signed_at))
    if obj.status in ("accepted", "declined"):
        return ServiceError(_decided_message(noun, obj.status, obj.signer_name, obj.decided_at))
    return ServiceError(str(_NO_LONGER_OPEN[noun]))


def decide_estimate(
    estimate: Estimate, contact: Contact, *, accept: bool, signer_name: str | None, ip: str | None, today: date
) -> Estimate:
    """Accept (with the signer's typed full name) or decline a sent, unexpired estimate, once.

    Stores the decision, signer name (acceptance only), time and IP; emails
    staff (``staff_estimate_decided``) and the customer's contacts with the Estimate toggle
    (``estimate_decided``); commits. Raises ServiceError, changing nothing, when the estimate
    is already decided, expired or not open, or the name is missing.
    """
    if estimate.status in ("accepted", "declined"):
        raise ServiceError(_decided_message("estimate", estimate.status, estimate.signer_name, estimate.decided_at))
    if estimate.status != "sent":
        raise ServiceError(_("This estimate is not open for a decision."))
    if not estimate_is_open(estimate, today):
        raise ServiceError(
            _("This estimate expired on %(date)s; ask us for a new one.", date=short_date(estimate.expiry_date))
        )
    # Only an acceptance is signed; a decline records who declined in the audit log.
    name = clean_signer_name(signer_name) if accept else None
    status = "accepted" if accept else "declined"
    result = db.session.execute(
        update(Estimate)
        .where(
            Estimate.id == estimate.id,
            Estimate.status == "sent",
            or_(Estimate.expiry_date.is_(None), Estimate.expiry_date >= today),
        )
        .values(status=status, signer_name=name, decided_at=utcnow(), decided_ip=(ip or "")[:64] or None)
    )
    if result.rowcount != 1:
        raise _lost_race(estimate, "estimate")
    db.session.refresh(estimate)
    customer = db.session.get(Customer, estimate.customer_id)
    audit.record(f"estimate.{status}", actor=contact, customer_id=customer.id, target=estimate, signer=name)
    notify_staff(
        "staff_estimate_decided",
        link_values={"slug": "estimates", "doc_id": estimate.id},
        context={"estimate": estimate, "customer": customer},
        customer_id=customer.id,
    )
    notify_estimate("estimate_decided", estimate)
    db.session.commit()
    return estimate


def decide_proposal(
    proposal: Proposal, contact: Contact, *, accept: bool, signer_name: str | None, ip: str | None, today: date
) -> Proposal:
    """Accept (with the signer's typed full name) or decline an open proposal, once.

    Stores the decision, signer name (acceptance only), time and IP; emails
    staff (``staff_proposal_decided``); commits. Raises ServiceError, changing nothing, when the
    proposal is already decided, past its open-till date, or the name is missing.
    """
    if proposal.status in ("accepted", "declined"):
        raise ServiceError(_decided_message("proposal", proposal.status, proposal.signer_name, proposal.decided_at))
    if proposal.status != "open":
        raise ServiceError(_("This proposal is not open for a decision."))
    if not proposal_is_open(proposal, today):
        raise ServiceError(
            _("This proposal was open until %(date)s; ask us for a new one.", date=short_date(proposal.open_till))
        )
    # Only an acceptance is signed; a decline records who declined in the audit log.
    name = clean_signer_name(signer_name) if accept else None
    status = "accepted" if accept else "declined"
    result = db.session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal.id,
            Proposal.status == "open",
            or_(Proposal.open_till.is_(None), Proposal.open_till >= today),
        )
        .values(status=status, signer_name=name, decided_at=utcnow(), decided_ip=(ip or "")[:64] or None)
    )
    if result.rowcount != 1:
        raise _lost_race(proposal, "proposal")
    db.session.refresh(proposal)
    customer = db.session.get(Customer, proposal.customer_id)
    audit.record(f"proposal.{status}", actor=contact, customer_id=customer.id, target=proposal, signer=name)
    notify_staff(
        "staff_proposal_decided",
        link_values={"proposal_id": proposal.id},
        context={"proposal": proposal, "customer": customer},
        customer_id=customer.id,
    )
    db.session.commit()
    return proposal


def sign_contract(contract: Contract, contact: Contact, *, signer_name: str | None, ip: str | None) -> Contract:
    """Sign the contract with the typed full name, once: stores name, time and IP, emails staff
    (``staff_contract_signed``) and commits. A signed contract never changes again: signing it
    a second time raises ServiceError and changes nothing."""
    if contract.signed_at is not None:
        raise ServiceError(_decided_message("contract", "signed", contract.signer_name, contract.signed_at))
    name = clean_signer_name(signer_name)
    result = db.session.execute(
        update(Contract)
        .where(Contract.id == contract.id, Contract.signed_at.is_(None))
        .values(signer_name=name, signed_at=utcnow(), signer_ip=(ip or "")[:64] or None)
    )
    if result.rowcount != 1:
        raise _lost_race(contract, "contract")
    db.session.refresh(contract)
    customer = db.session.get(Customer, contract.customer_id)
    audit.record("contract.signed", actor=contact, customer_id=customer.id, target=contract, signer=name)
    notify_staff(
        "staff_contract_signed",
        link_values={"slug": "contracts", "doc_id": contract.id},
        context={"contract": contract, "customer": customer},
        customer_id=customer.id,
    )
    db.session.commit()
    return contract


def proposal_comments(proposal: Proposal) -> list[ProposalComment]:
    """The proposal's comment thread (contacts' and staff's), oldest first."""
    return list(
        db.session.scalars(
            select(ProposalComment)
            .options(joinedload(ProposalComment.contact), joinedload(ProposalComment.staff))
            .where(ProposalComment.proposal_id == proposal.id)
            .order_by(ProposalComment.id)
        )
    )


def add_proposal_comment(proposal: Proposal, contact: Contact, body: str | None) -> ProposalComment:
    """Add the contact's comment to the proposal's thread, email staff (``staff_proposal_comment``)
    and commit. Refuses an empty or over-long comment, and the same text from the same contact
    again within two minutes (a double submit), changing nothing."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ServiceError(_("Write a comment first."))
    if len(body) > COMMENT_MAX:
        raise ServiceError(_("A comment can have at most %(max)d characters.", max=COMMENT_MAX))
    # Lock the proposal row (PostgreSQL) so two identical submits are checked one after the other.
    db.session.execute(select(Proposal.id).where(Proposal.id == proposal.id).with_for_update())
    since = utcnow() - timedelta(seconds=DUPLICATE_COMMENT_SECONDS)
    recent = db.session.scalars(
        select(ProposalComment)
        .where(
            ProposalComment.proposal_id == proposal.id,
            ProposalComment.contact_id == contact.id,
        )
        .order_by(ProposalComment.id.desc())
        .limit(1)
    ).first()
    if recent is not None and recent.body == body and recent.created_at >= since:
        db.session.rollback()
        raise ServiceError(_("This comment was already posted."))
    comment = ProposalComment(proposal_id=proposal.id, contact_id=contact.id, body=body)
    db.session.add(comment)
    customer = db.session.get(Customer, proposal.customer_id)
    notify_staff(
        "staff_proposal_comment",
        link_values={"proposal_id": proposal.id},
        context={"proposal": proposal, "customer": customer, "author": contact.full_name, "message": body},
        customer_id=customer.id,
    )
    db.session.commit()
    return comment
