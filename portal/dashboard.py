"""The contact's dashboard: one panel per permitted feature, in the catalog's order."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import render_template
from flask_login import current_user

from core.catalogs import PERMISSIONS
from core.i18n import _l
from core.services.portal_summary import HEADLINE_FIGURE, dashboard_summary

from . import bp


class PanelText(NamedTuple):
    caption: str  # what the panel's number counts (lazy)
    link: str  # the text of the link to the feature's page (lazy)


# Each feature's panel texts; the features themselves, their order and headings come from the
# catalog, their figures from ``core.services.portal_summary``.
PANEL_TEXTS = {
    "invoices": PanelText(_l("due"), _l("View invoices")),
    "estimates": PanelText(_l("waiting for your decision"), _l("View estimates")),
    "contracts": PanelText(_l("not yet signed"), _l("View contracts")),
    "proposals": PanelText(_l("open"), _l("View proposals")),
    "support": PanelText(_l("open tickets"), _l("View tickets")),
    "projects": PanelText(_l("active projects"), _l("View projects")),
}
if set(PANEL_TEXTS) != {p.key for p in PERMISSIONS}:
    raise RuntimeError("every permission needs exactly one dashboard panel in PANEL_TEXTS")


class Panel(NamedTuple):
    permission: object  # core.catalogs.Permission: key and heading
    text: PanelText
    figures: dict  # this panel's figures from ``dashboard_summary``
    count: int  # the figure the panel shows as its number (the Invoices panel: overdue invoices)
    endpoint: str


@bp.route("/dashboard")
def dashboard():
    summary = dashboard_summary(current_user, date.today())
    panels = [
        Panel(p, PANEL_TEXTS[p.key], summary[p.key], summary[p.key][HEADLINE_FIGURE[p.key]], p.endpoint)
        for p in PERMISSIONS
        if p.key in summary
    ]
    return render_template("portal/dashboard.html", panels=panels)
