"""Figures for the contact's dashboard, computed only for the features it may use (one panel
per permission of ``core.catalogs.PERMISSIONS``; ``portal.dashboard`` says what each shows)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Integer, Select, bindparam, func, select, true

from core.catalogs import PERMISSION_KEYS, PERMISSIONS
from core.extensions import db
from core.models import Contract, Estimate, Invoice, Project, Proposal, Ticket
from core.services.amounts_due import CUSTOMER as _CUSTOMER
from core.services.amounts_due import TODAY as _TODAY
from core.services.amounts_due import fold_balances, open_balances
from core.services.tickets import ticket_visibility_in_statement

ACTIVE_PROJECT_STATES = ("not_started", "in_progress")

# The statement for each set of panels shown: built once per process with bound parameters, so
# a dashboard request neither rebuilds the seven subqueries nor recomputes SQLAlchemy's cache
# key for them (that took far longer than the query itself).
_STATEMENTS: dict[tuple[str, ...], tuple[Select, list[tuple[str, str]]]] = {}

_CONTACT = bindparam("contact_id", type_=Integer)


def dashboard_summary(contact, today: date) -> dict:
    """A dict of panel figures; a feature the contact lacks has no key at all.

    The Invoices panel's ``amounts_due`` is ``core.services.amounts_due.amounts_due`` (a list
    of ``OpenBalance``, one per currency, empty when nothing is due); every other figure is a
    count. One query however many panels it shows: the counts (the ticket visibility setting
    included) are scalar subqueries of one row, outer-joined to the amounts due per currency.
    """
    permissions = contact.permissions
    panels = tuple(p.key for p in PERMISSIONS if p.key in permissions)
    if not panels:
        return {}
    if panels not in _STATEMENTS:
        _STATEMENTS[panels] = _statement(panels)
    stmt, names = _STATEMENTS[panels]
    params = {"customer_id": contact.customer_id, "contact_id": contact.id, "today": today}
    rows = db.session.execute(stmt, params).all()
    summary: dict = {}
    for (panel, figure), value in zip(names, rows[0][: len(names)], strict=True):
        summary.setdefault(panel, {})[figure] = value or 0
    if "invoices" in summary:
        summary["invoices"]["amounts_due"] = fold_balances(row[len(names) :] for row in rows)
    return summary


def visible_tickets():
    """The contact's tickets (``core.services.tickets.ticket_visibility_in_statement``), the
    contact as bound parameters and the setting read in the same statement, not a query."""
    return ticket_visibility_in_statement(_CUSTOMER, _CONTACT)


def _statement(panels: tuple[str, ...]) -> tuple[Select, list[tuple[str, str]]]:
    names = [(panel, _FIGURES[panel][0]) for panel in panels]
    counts = select(*(_FIGURES[panel][1].scalar_subquery().label(panel) for panel in panels))
    if "invoices" not in panels:
        return counts, names
    # One row per currency (or one with NULLs when nothing is due), each repeating the counts.
    counts, balances = counts.subquery(), open_balances().subquery()
    joined = counts.outerjoin(balances, true())
    stmt = select(*counts.c, balances.c.currency, balances.c.open_count, balances.c.due, balances.c.overdue)
    return stmt.select_from(joined), names


def _count(model, *conditions):
    return select(func.count(model.id)).where(model.customer_id == _CUSTOMER, *conditions)


# Each permission's panel figure: its name and a one-value select (the Invoices panel also
# shows the amounts due per currency, joined in by ``_statement``).
_FIGURES: dict[str, tuple[str, Select]] = {
    "invoices": ("overdue", _count(Invoice, Invoice.is_overdue(_TODAY))),
    "estimates": ("waiting", _count(Estimate, Estimate.open_for_decision(_TODAY))),
    "contracts": ("unsigned", _count(Contract, Contract.signed_at.is_(None))),
    "proposals": ("open", _count(Proposal, Proposal.open_for_decision(_TODAY))),
    "support": ("open", select(func.count(Ticket.id)).where(visible_tickets(), Ticket.status != "closed")),
    "projects": ("active", _count(Project, Project.status.in_(ACTIVE_PROJECT_STATES))),
}
if set(_FIGURES) != PERMISSION_KEYS:
    raise RuntimeError("every permission needs exactly one dashboard figure in _FIGURES")
# The figure each panel shows as its number, by permission.
HEADLINE_FIGURE: dict[str, str] = {key: figure for key, (figure, _stmt) in _FIGURES.items()}
