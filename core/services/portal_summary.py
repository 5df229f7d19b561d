"""Figures for the contact's dashboard, computed only for the features it may use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, select

from core.extensions import db
from core.models import Contract, Estimate, Invoice, Project, Proposal, Ticket
from core.services.tickets import ticket_visibility

OPEN_INVOICE_STATES = ("unpaid", "partially_paid")
ACTIVE_PROJECT_STATES = ("not_started", "in_progress")


def dashboard_summary(contact, today: date) -> dict:
    """A dict of panel figures; a feature the contact lacks has no key at all.

    Every figure is a scalar subquery of one SELECT, so the dashboard costs one query (plus
    the ticket visibility setting when the contact has Support), however many panels it shows.
    """
    cid = contact.customer_id
    figures: dict[tuple[str, str], Select] = {}  # (panel, figure) -> a one-value select
    if contact.can("invoices"):
        is_open = Invoice.status.in_(OPEN_INVOICE_STATES)
        balance = func.coalesce(func.sum(Invoice.total - Invoice.amount_paid), 0)
        figures["invoices", "amount_due"] = select(balance).where(Invoice.customer_id == cid, is_open)
        figures["invoices", "overdue"] = _count(Invoice, cid, is_open, Invoice.due_date < today)
    if contact.can("estimates"):
        figures["estimates", "waiting"] = _count(Estimate, cid, Estimate.status == "sent")
    if contact.can("proposals"):
        figures["proposals", "open"] = _count(Proposal, cid, Proposal.status == "open")
    if contact.can("contracts"):
        figures["contracts", "unsigned"] = _count(Contract, cid, Contract.signed_at.is_(None))
    if contact.can("support"):
        # The same visibility rule as the ticket list: own tickets only unless the setting says all.
        visible = ticket_visibility(contact)
        figures["support", "open"] = select(func.count(Ticket.id)).where(visible, Ticket.status != "closed")
    if contact.can("projects"):
        figures["projects", "active"] = _count(Project, cid, Project.status.in_(ACTIVE_PROJECT_STATES))
    if not figures:
        return {}
    row = db.session.execute(select(*(stmt.scalar_subquery() for stmt in figures.values()))).one()
    summary: dict = {}
    for (panel, figure), value in zip(figures, row, strict=True):
        summary.setdefault(panel, {})[figure] = value or 0
    return summary


def _count(model, customer_id: int, *conditions):
    return select(func.count(model.id)).where(model.customer_id == customer_id, *conditions)
