"""Figures for the contact's dashboard, computed only for the features it may use."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, Select, and_, bindparam, func, select

from core.extensions import db
from core.models import Contract, Estimate, Invoice, Project, Proposal, Ticket
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, get_bool_setting

OPEN_INVOICE_STATES = ("unpaid", "partially_paid")
ACTIVE_PROJECT_STATES = ("not_started", "in_progress")
PANELS = ("invoices", "estimates", "proposals", "contracts", "support", "projects")

# The statement for each (panels shown, tickets of the whole company or not): built once per
# process with bound parameters, so a dashboard request neither rebuilds the seven subqueries
# nor recomputes SQLAlchemy's cache key for them (that took far longer than the query itself).
_STATEMENTS: dict[tuple[tuple[str, ...], bool], tuple[Select, list[tuple[str, str]]]] = {}

_CUSTOMER = bindparam("customer_id", type_=Integer)
_CONTACT = bindparam("contact_id", type_=Integer)
_TODAY = bindparam("today", type_=Date)


def dashboard_summary(contact, today: date) -> dict:
    """A dict of panel figures; a feature the contact lacks has no key at all.

    Every figure is a scalar subquery of one SELECT, so the dashboard costs one query (plus
    the ticket visibility setting when the contact has Support), however many panels it shows.
    """
    panels = tuple(panel for panel in PANELS if contact.can(panel))
    if not panels:
        return {}
    see_all = "support" in panels and get_bool_setting(CONTACTS_SEE_ALL_TICKETS)
    key = (panels, see_all)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _statement(panels, see_all)
    stmt, names = _STATEMENTS[key]
    params = {"customer_id": contact.customer_id, "contact_id": contact.id, "today": today}
    row = db.session.execute(stmt, params).one()
    summary: dict = {}
    for (panel, figure), value in zip(names, row, strict=True):
        summary.setdefault(panel, {})[figure] = value or 0
    return summary


def visible_tickets(see_all: bool):
    """The ticket list's visibility rule (``core.services.tickets.ticket_visibility``) with the
    contact as bound parameters: its customer's tickets, only its own unless ``see_all``."""
    condition = Ticket.customer_id == _CUSTOMER
    return condition if see_all else and_(condition, Ticket.contact_id == _CONTACT)


def _statement(panels: tuple[str, ...], see_all: bool) -> tuple[Select, list[tuple[str, str]]]:
    figures: dict[tuple[str, str], Select] = {}  # (panel, figure) -> a one-value select
    if "invoices" in panels:
        is_open = Invoice.status.in_(OPEN_INVOICE_STATES)
        balance = func.coalesce(func.sum(Invoice.total - Invoice.amount_paid), 0)
        figures["invoices", "amount_due"] = select(balance).where(Invoice.customer_id == _CUSTOMER, is_open)
        figures["invoices", "overdue"] = _count(Invoice, is_open, Invoice.due_date < _TODAY)
    if "estimates" in panels:
        figures["estimates", "waiting"] = _count(Estimate, Estimate.status == "sent")
    if "proposals" in panels:
        figures["proposals", "open"] = _count(Proposal, Proposal.status == "open")
    if "contracts" in panels:
        figures["contracts", "unsigned"] = _count(Contract, Contract.signed_at.is_(None))
    if "support" in panels:
        open_tickets = select(func.count(Ticket.id)).where(visible_tickets(see_all), Ticket.status != "closed")
        figures["support", "open"] = open_tickets
    if "projects" in panels:
        figures["projects", "active"] = _count(Project, Project.status.in_(ACTIVE_PROJECT_STATES))
    return select(*(stmt.scalar_subquery() for stmt in figures.values())), list(figures)


def _count(model, *conditions):
    return select(func.count(model.id)).where(model.customer_id == _CUSTOMER, *conditions)
