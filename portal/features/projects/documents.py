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

from core.document_kinds import DOCUMENT_KINDS
from core.i18n import _l
from core.models import Ticket
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
    none_yet: str  # what the tab says when the project has none


def _kind_tab(kind) -> DocumentTab:
    date_column = getattr(kind.model, kind.date_attr)
    order = (date_column.desc(), kind.model.id.desc())
    return DocumentTab(kind.model, lambda: kind.model.visible_to_customer, order, kind.texts.none_in_project)


DOCUMENT_TABS = {kind.tab: _kind_tab(kind) for kind in DOCUMENT_KINDS if kind.in_project_tab} | {
    "tickets": DocumentTab(
        Ticket,
        lambda: ticket_visibility(current_user),
        (Ticket.last_reply_at.desc(), Ticket.id.desc()),
        _l("No tickets for this project."),
    ),
}


def _documents_tab(project_id: int, key: str):
    view = open_tab(project_id, key)
    tab = DOCUMENT_TABS[key]
    stmt = scoped(tab.model).where(tab.model.project_id == view.project.id, tab.visible()).order_by(*tab.order)
    return render_template(
        "portal/projects/documents.html", view=view, page=paginate(stmt), kind=key, none_yet=tab.none_yet
    )


def _tab_view(key: str):
    def view(project_id: int):
        return _documents_tab(project_id, key)

    view.__doc__ = f"The project's {key} tab."
    return view


# One route per tab, its endpoint the tab's key (``portal.projects.invoices``, as ``access.TABS`` names it).
for _key in DOCUMENT_TABS:
    bp.add_url_rule(f"/projects/<int:project_id>/{_key}", endpoint=_key, view_func=_tab_view(_key))
