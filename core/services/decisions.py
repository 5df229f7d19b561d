"""What a customer's contact decides about a sales document: accept or decline an estimate or a
proposal, sign a contract, comment on a proposal.

Every decision is final: once made, the customer cannot change it (staff can, in the admin area).
Accepting or declining an estimate and a proposal is one function, ``decide``; whether one is
still open is ``open_for_decision`` on the model (core/models/sales.py), used by both the check
and the ``UPDATE``'s WHERE. Each function checks the state first (a clear message when the
document was already decided), then makes the change with a conditional
``UPDATE ... WHERE <still undecided>`` and checks the row count, so two concurrent requests
(a double click, two tabs, two colleagues) can never both win: the loser gets the same clear
message and nothing changes. Emails are queued in the same transaction (outbox), then the
function commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import update

from core import audit
from core.extensions import db
from core.i18n import _, _l, lazy_ngettext, ngettext, short_date, short_datetime
from core.mail.outbox import one_line
from core.models import Contact, Contract, Customer, Estimate, Proposal, ProposalComment, utcnow
from core.notifications.notify import notify_estimate, notify_staff
from core.webhooks import emit

from . import ServiceError
from .comments import post_comment

SIGNER_NAME_MAX = 160
COMMENT_MAX = 5000
COMMENT_TOO_LONG = lazy_ngettext(
    "A comment can have at most %(max)d character.",
    "A comment can have at most %(max)d characters.",
    COMMENT_MAX,
    max=COMMENT_MAX,
)
# A second identical comment on a proposal within this window is a double submit, not a new one.
PROPOSAL_COMMENT_WINDOW = timedelta(seconds=120)


def clean_signer_name(name: str | None) -> str:
    """The typed full name on one line; ServiceError when empty or longer than 160 characters."""
    name = one_line(name or "")
    if not name:
        raise ServiceError(_("Type your full name to sign."))
    if len(name) > SIGNER_NAME_MAX:
        raise ServiceError(
            ngettext(
                "The name can have at most %(max)d character.",
                "The name can have at most %(max)d characters.",
                SIGNER_NAME_MAX,
                max=SIGNER_NAME_MAX,
            )
        )
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


@dataclass(frozen=True)
class _Decidable:
    """What differs between accepting or declining an estimate and a proposal."""

    noun: str
    not_open: str
    past_deadline: str  # with ``%(date)s``
    staff_event: str
    link_values: Callable[[Estimate | Proposal], dict]
    notify_customers: Callable[[Estimate | Proposal], object] | None = None


_DECIDABLE: dict[type, _Decidable] = {
    Estimate: _Decidable(
        "estimate",
        _l("This estimate is not open for a decision."),
        _l("This estimate expired on %(date)s; ask us for a new one."),
        "staff_estimate_decided",
        lambda estimate: {"slug": "estimates", "doc_id": estimate.id},
        lambda estimate: notify_estimate("estimate_decided", estimate),
    ),
    Proposal: _Decidable(
        "proposal",
        _l("This proposal is not open for a decision."),
        _l("This proposal was open until %(date)s; ask us for a new one."),
        "staff_proposal_decided",
        lambda proposal: {"proposal_id": proposal.id},
    ),
}


def decide(
    document: Estimate | Proposal,
    contact: Contact,
    *,
    accept: bool,
    signer_name: str | None,
    ip: str | None,
    today: date,
) -> Estimate | Proposal:
    """Accept (with the signer's typed full name) or decline an estimate or proposal, once.

    Only while ``document.open_for_decision(today)`` (a sent estimate before its expiry date,
    an open proposal before its open-till date). Stores the decision, signer name (acceptance
    only), time and IP; emails staff (``staff_estimate_decided`` / ``staff_proposal_decided``)
    and, for an estimate, the customer's contacts with the Estimate toggle
    (``estimate_decided``); commits. Raises ServiceError, changing nothing, when the document is
    already decided, past its date or not open, or the name is missing.
    """
    model = type(document)
    kind = _DECIDABLE[model]
    if document.status in ("accepted", "declined"):
        raise ServiceError(_decided_message(kind.noun, document.status, document.signer_name, document.decided_at))
    if document.status != model.OPEN_STATUS:
        raise ServiceError(str(kind.not_open))
    if not document.open_for_decision(today):
        raise ServiceError(kind.past_deadline % {"date": short_date(getattr(document, model.DEADLINE))})
    # Only an acceptance is signed; a decline records who declined in the audit log.
    name = clean_signer_name(signer_name) if accept else None
    status = "accepted" if accept else "declined"
    result = db.session.execute(
        update(model)
        .where(model.id == document.id, model.open_for_decision(today))
        .values(status=status, signer_name=name, decided_at=utcnow(), decided_ip=(ip or "")[:64] or None)
    )
    if result.rowcount != 1:
        raise _lost_race(document, kind.noun)
    db.session.refresh(document)
    customer = db.session.get(Customer, document.customer_id)
    audit.record(f"{kind.noun}.{status}", actor=contact, customer_id=customer.id, target=document, signer=name)
    emit(f"{kind.noun}.{status}", document)
    notify_staff(
        kind.staff_event,
        link_values=kind.link_values(document),
        context={kind.noun: document, "customer": customer},
        customer_id=customer.id,
    )
    if kind.notify_customers is not None:
        kind.notify_customers(document)
    db.session.commit()
    return document


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
    emit("contract.signed", contract)
    notify_staff(
        "staff_contract_signed",
        link_values={"slug": "contracts", "doc_id": contract.id},
        context={"contract": contract, "customer": customer},
        customer_id=customer.id,
    )
    db.session.commit()
    return contract


def add_proposal_comment(proposal: Proposal, contact: Contact, body: str | None) -> ProposalComment:
    """Add the contact's comment to the proposal's thread, email staff (``staff_proposal_comment``)
    and commit (``core.services.comments.post_comment``). Refuses an empty or over-long comment,
    and the same text from the same contact again within two minutes (a double submit),
    changing nothing."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ServiceError(_("Write a comment first."))
    if len(body) > COMMENT_MAX:
        raise ServiceError(str(COMMENT_TOO_LONG))

    def email(_comment: ProposalComment) -> None:
        customer = db.session.get(Customer, proposal.customer_id)
        notify_staff(
            "staff_proposal_comment",
            link_values={"proposal_id": proposal.id},
            context={"proposal": proposal, "customer": customer, "author": contact.full_name, "message": body},
            customer_id=customer.id,
        )

    return post_comment(
        ProposalComment,
        proposal.id,
        body,
        contact,
        window=PROPOSAL_COMMENT_WINDOW,
        effects=email,
        lock=True,
        repeat_refusal=_("This comment was already posted."),
    )
