"""Proposals and contracts (a subject, free text and one amount) and staff proposal comments.

Rules: a signed contract is not edited; a proposal the customer accepted or declined is not
edited either (its text and total are what was agreed); the project must belong to the
document's customer; only drafts are deleted (a proposal in "draft", a contract never sent
and not signed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import PROPOSAL_STATUSES, Contract, Proposal, ProposalComment, StaffUser, utcnow
from core.webhooks import emit

from .. import ServiceError
from ..comments import post_comment
from ..decisions import PROPOSAL_COMMENT_WINDOW
from .common import (
    MAX_CONTENT,
    MAX_NOTES,
    MAX_SUBJECT,
    audit,
    check_amount,
    check_currency,
    check_order,
    check_project,
    clean_text,
    earlier_submission,
    lock_customer,
)

DECIDED = ("accepted", "declined")


@dataclass
class ProposalData:
    subject: str
    content: str
    total: Decimal | None
    date: date
    open_till: date | None
    status: str
    currency: str = ""
    project_id: int | None = None
    form_token: str | None = None


@dataclass
class ContractData:
    subject: str
    content: str
    value: Decimal | None
    start_date: date
    end_date: date | None
    currency: str = ""
    project_id: int | None = None
    form_token: str | None = None


def agreement_edit_refused(document) -> str | None:
    """Why the proposal or contract cannot be edited at all, or None."""
    if isinstance(document, Contract) and document.is_signed:
        return _("This contract is signed; it can no longer be edited.")
    if isinstance(document, Proposal) and document.status == "accepted":
        return _("This proposal was accepted; it can no longer be edited.")
    if isinstance(document, Proposal) and document.status == "declined":
        return _("This proposal was declined; it can no longer be edited.")
    return None


def agreement_delete_refused(document) -> str | None:
    """Why staff may not delete the proposal or contract, or None: only drafts are deleted."""
    if isinstance(document, Contract) and (document.is_signed or document.sent_at is not None):
        return _("Only contracts that were never sent or signed can be deleted.")
    if isinstance(document, Proposal) and document.status != "draft":
        return _("Only draft proposals can be deleted.")
    return None


def _checked(data, customer_id: int, currency_fallback: str, amount: tuple[str, str], dates: tuple[str, str, str]):
    """The checked values every proposal and contract has, by column name; changes nothing.

    ``amount`` is the amount's field and its name in messages, ``dates`` the two dates and the
    message when the second is before the first."""
    (amount_field, amount_label), (first, second, order_message) = amount, dates
    values = {
        "subject": clean_text(data.subject, _("The subject"), MAX_SUBJECT, required=True),
        "content": clean_text(data.content, _("The content"), MAX_CONTENT),
        amount_field: check_amount(getattr(data, amount_field), amount_label),
        "currency": check_currency(data.currency, currency_fallback),
    }
    check_order(getattr(data, first), getattr(data, second), order_message)
    values.update({first: getattr(data, first), second: getattr(data, second)})
    values["project_id"] = check_project(customer_id, data.project_id)
    return values


def _apply_proposal(proposal: Proposal, customer_id: int, data: ProposalData, currency_fallback: str) -> None:
    if data.status not in PROPOSAL_STATUSES:
        raise ServiceError(_("Choose one of the listed statuses."))
    order_message = _("'Open till' cannot be before the proposal date.")
    values = _checked(
        data, customer_id, currency_fallback, ("total", _("The total")), ("date", "open_till", order_message)
    )
    if data.status in DECIDED and data.status != proposal.status:
        proposal.decided_at = utcnow()  # staff recording the customer's answer
    for name, value in (values | {"status": data.status}).items():
        setattr(proposal, name, value)


def _apply_contract(contract: Contract, customer_id: int, data: ContractData, currency_fallback: str) -> None:
    order_message = _("The end date cannot be before the start date.")
    amount = ("value", _("The contract value"))
    values = _checked(data, customer_id, currency_fallback, amount, ("start_date", "end_date", order_message))
    for name, value in values.items():
        setattr(contract, name, value)


def _create(model, apply, customer_id: int | None, data, actor):
    action = f"{model.__name__.lower()}.created"
    customer = lock_customer(customer_id)
    earlier = earlier_submission(action, data.form_token, model)
    if earlier is not None:
        db.session.commit()
        return earlier
    document = model(customer_id=customer.id)
    apply(document, customer.id, data, customer.currency)
    db.session.add(document)
    db.session.flush()
    audit(action, actor, document, subject=document.subject, form_token=data.form_token)
    db.session.commit()
    return document


def _update(document, apply, data, actor) -> None:
    refused = agreement_edit_refused(document)
    if refused:
        raise ServiceError(refused)
    before = getattr(document, "status", None)
    apply(document, document.customer_id, data, document.currency)
    if isinstance(document, Proposal) and document.status != before and document.status in DECIDED:
        emit(f"proposal.{document.status}", document)  # staff recording the customer's answer
    audit(f"{type(document).__name__.lower()}.updated", actor, document, subject=document.subject)
    db.session.commit()


def create_proposal(customer_id: int | None, data: ProposalData, *, actor) -> Proposal:
    """Create a proposal for the customer and commit; a resubmitted form returns the first one."""
    return _create(Proposal, _apply_proposal, customer_id, data, actor)


def update_proposal(proposal: Proposal, data: ProposalData, *, actor) -> None:
    """Save staff's changes to a proposal that is not yet accepted or declined, and commit."""
    _update(proposal, _apply_proposal, data, actor)


def create_contract(customer_id: int | None, data: ContractData, *, actor) -> Contract:
    """Create a contract for the customer and commit; a resubmitted form returns the first one."""
    return _create(Contract, _apply_contract, customer_id, data, actor)


def update_contract(contract: Contract, data: ContractData, *, actor) -> None:
    """Save staff's changes to an unsigned contract and commit."""
    _update(contract, _apply_contract, data, actor)


def delete_agreement(document, *, actor) -> None:
    """Delete a draft proposal or an unsent, unsigned contract, and commit."""
    refused = agreement_delete_refused(document)
    if refused:
        raise ServiceError(refused)
    audit(f"{type(document).__name__.lower()}.deleted", actor, document, subject=document.subject)
    db.session.delete(document)
    db.session.commit()


def add_proposal_comment(proposal: Proposal, staff: StaffUser, body: str) -> ProposalComment:
    """Add a staff comment to the proposal's thread with its audit entry and commit
    (``core.services.comments.post_comment``); the same text by the same staff member again
    within two minutes (a double submit) returns the first comment and adds nothing.

    No email: the notification catalog has no proposal toggle, so nobody is chosen to receive one.
    """
    text = clean_text(body, _("The comment"), MAX_NOTES, required=True)

    def audit_entry(comment: ProposalComment) -> None:
        record(
            "proposal.commented", actor=staff, customer_id=proposal.customer_id, target=comment, proposal_id=proposal.id
        )

    return post_comment(
        ProposalComment, proposal.id, text, staff, window=PROPOSAL_COMMENT_WINDOW, effects=audit_entry, lock=True
    )
