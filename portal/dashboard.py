"""The contact's dashboard: one panel per permitted feature, in the catalog's order."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask import render_template
from flask_login import current_user

from core.catalogs import PERMISSIONS
from core.i18n import _l
from core.services.portal_summary import dashboard_summary

from . import bp
from .menu import FEATURE_ENDPOINTS


class PanelText(NamedTuple):
    figure: str  # the summary's figure the panel shows (the Invoices panel shows its amounts due)
    caption: str  # what the figure counts (lazy)
    link: str  # the text of the link to the feature's page (lazy)


# Each feature's panel; the features themselves, their order and headings come from the catalog.
PANEL_TEXTS = {
    "invoices": PanelText("overdue", _l("due"), _l("View invoices")),
    "estimates": PanelText("waiting", _l("waiting for your decision"), _l("View estimates")),
    "contracts": PanelText("unsigned", _l("not yet signed"), _l("View contracts")),
    "proposals": PanelText("open", _l("open"), _l("View proposals")),
    "support": PanelText("open", _l("open tickets"), _l("View tickets")),
    "projects": PanelText("active", _l("active projects"), _l("View projects")),
}
if set(PANEL_TEXTS) != {p.key for p in PERMISSIONS}:
    raise RuntimeError("every permission needs exactly one dashboard panel in PANEL_TEXTS")


class Panel(NamedTuple):
    permission: object  # core.catalogs.Permission: key and heading
    text: PanelText
    figures: dict  # this panel's figures from ``dashboard_summary``
    endpoint: str


@bp.route("/dashboard")
def dashboard():
    summary = dashboard_summary(current_user, date.today())
    panels = [
        Panel(p, PANEL_TEXTS[p.key], summary[p.key], FEATURE_ENDPOINTS[p.key]) for p in PERMISSIONS if p.key in summary
    ]
    return render_template("portal/dashboard.html", panels=panels)
