"""Figures for the contact's dashboard, computed only for the features it may use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.extensions import db
from core.models import Contract, Estimate, Invoice, Project, Proposal, Ticket
from core.services.tickets import ticket_visibility


def dashboard_summary(contact, today: date) -> dict:
    """A dict of panel figures; a feature the contact lacks has no key at all."""
    cid = contact.customer_id
    summary: dict = {}
    if contact.can("invoices"):
        open_states = ("unpaid", "partially_paid")
        due, overdue = db.session.execute(
            select(
                func.coalesce(func.sum(Invoice.total - Invoice.amount_paid), 0),
                func.count(Invoice.id).filter(Invoice.due_date < today),
            ).where(Invoice.customer_id == cid, Invoice.status.in_(open_states))
        ).one()
        summary["invoices"] = {"amount_due": due, "overdue": overdue}
    if contact.can("estimates"):
        summary["estimates"] = {
            "waiting": _count(Estimate, cid, Estimate.status == "sent"),
        }
    if contact.can("proposals"):
        summary["proposals"] = {"open": _count(Proposal, cid, Proposal.status == "open")}
    if contact.can("contracts"):
        summary["contracts"] = {"unsigned": _count(Contract, cid, Contract.signed_at.is_(None))}
    if contact.can("support"):
        # The same visibility rule as the ticket list: own tickets only unless the setting says all.
        visible = select(func.count(Ticket.id)).where(ticket_visibility(contact), Ticket.status != "closed")
        summary["support"] = {"open": db.session.scalar(visible) or 0}
    if contact.can("projects"):
        summary["projects"] = {"active": _count(Project, cid, Project.status.in_(("not_started", "in_progress")))}
    return summary


def _count(model, customer_id: int, condition) -> int:
    stmt = select(func.count(model.id)).where(model.customer_id == customer_id, condition)
    return db.session.scalar(stmt) or 0
