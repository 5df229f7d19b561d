"""Figures for the contact's dashboard, computed only for the features it may use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, Select, bindparam, func, select

from core.extensions import db
from core.models import Contract, Estimate, Invoice, Project, Proposal, Ticket
from core.services.tickets import ticket_visibility_in_statement

ACTIVE_PROJECT_STATES = ("not_started", "in_progress")
PANELS = ("invoices", "estimates", "proposals", "contracts", "support", "projects")

# The statement for each set of panels shown: built once per process with bound parameters, so
# a dashboard request neither rebuilds the seven subqueries nor recomputes SQLAlchemy's cache
# key for them (that took far longer than the query itself).
_STATEMENTS: dict[tuple[str, ...], tuple[Select, list[tuple[str, str]]]] = {}

_CUSTOMER = bindparam("customer_id", type_=Integer)
_CONTACT = bindparam("contact_id", type_=Integer)
_TODAY = bindparam("today", type_=Date)


def dashboard_summary(contact, today: date) -> dict:
    """A dict of panel figures; a feature the contact lacks has no key at all.

    Every figure is a scalar subquery of one SELECT (the ticket visibility setting included),
    so the dashboard costs one query however many panels it shows.
    """
    permissions = contact.permissions
    panels = tuple(panel for panel in PANELS if panel in permissions)
    if not panels:
        return {}
    if panels not in _STATEMENTS:
        _STATEMENTS[panels] = _statement(panels)
    stmt, names = _STATEMENTS[panels]
    params = {"customer_id": contact.customer_id, "contact_id": contact.id, "today": today}
    row = db.session.execute(stmt, params).one()
    summary: dict = {}
    for (panel, figure), value in zip(names, row, strict=True):
        summary.setdefault(panel, {})[figure] = value or 0
    return summary


def visible_tickets():
    """The contact's tickets (``core.services.tickets.ticket_visibility_in_statement``), the
    contact as bound parameters and the setting read in the same statement, not a query."""
    return ticket_visibility_in_statement(_CUSTOMER, _CONTACT)


def _statement(panels: tuple[str, ...]) -> tuple[Select, list[tuple[str, str]]]:
    figures: dict[tuple[str, str], Select] = {}  # (panel, figure) -> a one-value select
    if "invoices" in panels:
        balance = func.coalesce(func.sum(Invoice.balance), 0)
        figures["invoices", "amount_due"] = select(balance).where(Invoice.customer_id == _CUSTOMER, Invoice.is_open)
        figures["invoices", "overdue"] = _count(Invoice, Invoice.is_overdue(_TODAY))
    if "estimates" in panels:
        figures["estimates", "waiting"] = _count(Estimate, Estimate.status == "sent")
    if "proposals" in panels:
        figures["proposals", "open"] = _count(Proposal, Proposal.status == "open")
    if "contracts" in panels:
        figures["contracts", "unsigned"] = _count(Contract, Contract.signed_at.is_(None))
    if "support" in panels:
        open_tickets = select(func.count(Ticket.id)).where(visible_tickets(), Ticket.status != "closed")
        figures["support", "open"] = open_tickets
    if "projects" in panels:
        figures["projects", "active"] = _count(Project, Project.status.in_(ACTIVE_PROJECT_STATES))
    return select(*(stmt.scalar_subquery() for stmt in figures.values())), list(figures)


def _count(model, *conditions):
    return select(func.count(model.id)).where(model.customer_id == _CUSTOMER, *conditions)
