"""The contact's dashboard: one panel per permitted feature, in the catalog's order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from flask import render_template
from flask_login import current_user

from core.catalogs import PERMISSIONS
from core.i18n import _, _l, ngettext
from core.services.portal_summary import HEADLINE_FIGURE, dashboard_summary

from . import bp


class PanelText(NamedTuple):
    caption: Callable[[int], str]  # what the panel's number counts, for that number (plural forms)
    link: str  # the text of the link to the feature's page (lazy)


# Each feature's panel texts; the features themselves, their order and headings come from the
# catalog, their figures from ``core.services.portal_summary``.
PANEL_TEXTS = {
    "invoices": PanelText(lambda n: _("due"), _l("View invoices")),
    "estimates": PanelText(lambda n: _("waiting for your decision"), _l("View estimates")),
    "contracts": PanelText(lambda n: _("not yet signed"), _l("View contracts")),
    "proposals": PanelText(lambda n: _("open"), _l("View proposals")),
    "support": PanelText(lambda n: ngettext("open ticket", "open tickets", n), _l("View tickets")),
    "projects": PanelText(lambda n: ngettext("active project", "active projects", n), _l("View projects")),
}
if set(PANEL_TEXTS) != {p.key for p in PERMISSIONS}:
    raise RuntimeError("every permission needs exactly one dashboard panel in PANEL_TEXTS")


class Panel(NamedTuple):
    permission: object  # core.catalogs.Permission: key and heading
    text: PanelText
    figures: dict  # this panel's figures from ``dashboard_summary``
    count: int  # the figure the panel shows as its number (the Invoices panel: overdue invoices)
    caption: str  # what that number counts, in the singular or plural its value needs
    endpoint: str


@bp.route("/dashboard")
def dashboard():
    summary = dashboard_summary(current_user, date.today())
    panels = [_panel(p, summary[p.key]) for p in PERMISSIONS if p.key in summary]
    return render_template("portal/dashboard.html", panels=panels)


def _panel(permission, figures: dict) -> Panel:
    text, count = PANEL_TEXTS[permission.key], figures[HEADLINE_FIGURE[permission.key]]
    return Panel(permission, text, figures, count, text.caption(count), permission.endpoint)
