"""A project's invoices, estimates, contracts, proposals and tickets tabs.

Each needs the project setting ("view_finance" or "view_tickets") and the contact's own
permission for that kind of document; each row links to the document's own page, which
checks the same permission again. What a contact may see of each kind is the rule its own
pages use (``visible_to_customer`` on the model: drafts never appear; tickets follow the ticket
visibility setting), so a project tab can never list what the feature's own pages would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template
from flask_login import current_user

from core.models import Contract, Estimate, Invoice, Proposal, Ticket
from core.pagination import paginate
from core.services.tickets import ticket_visibility

from ...guards import scoped
from . import bp
from .access import open_tab


@dataclass(frozen=True)
class DocumentTab:
    model: type
    visible: Callable  # () -> the condition on what the logged-in contact may see of this kind
    order: tuple


DOCUMENT_TABS = {
    "invoices": DocumentTab(Invoice, lambda: Invoice.visible_to_customer, (Invoice.date.desc(), Invoice.id.desc())),
    "estimates": DocumentTab(
        Estimate, lambda: Estimate.visible_to_customer, (Estimate.date.desc(), Estimate.id.desc())
    ),
    "contracts": DocumentTab(
        Contract, lambda: Contract.visible_to_customer, (Contract.start_date.desc(), Contract.id.desc())
    ),
    "proposals": DocumentTab(
        Proposal, lambda: Proposal.visible_to_customer, (Proposal.date.desc(), Proposal.id.desc())
    ),
    "tickets": DocumentTab(
        Ticket, lambda: ticket_visibility(current_user), (Ticket.last_reply_at.desc(), Ticket.id.desc())
    ),
}


def _documents_tab(project_id: int, key: str):
    view = open_tab(project_id, key)
    tab = DOCUMENT_TABS[key]
    stmt = scoped(tab.model).where(tab.model.project_id == view.project.id, tab.visible()).order_by(*tab.order)
    return render_template("portal/projects/documents.html", view=view, page=paginate(stmt), kind=key)


@bp.route("/projects/<int:project_id>/invoices")
def invoices(project_id: int):
    return _documents_tab(project_id, "invoices")


@bp.route("/projects/<int:project_id>/estimates")
def estimates(project_id: int):
    return _documents_tab(project_id, "estimates")


@bp.route("/projects/<int:project_id>/contracts")
def contracts(project_id: int):
    return _documents_tab(project_id, "contracts")


@bp.route("/projects/<int:project_id>/proposals")
def proposals(project_id: int):
    return _documents_tab(project_id, "proposals")


@bp.route("/projects/<int:project_id>/tickets")
def tickets(project_id: int):
    return _documents_tab(project_id, "tickets")
