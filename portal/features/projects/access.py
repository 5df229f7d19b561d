"""Who may open which tab of a project: the tab table and the one loader that checks it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, select

from core.catalogs import PROJECT_SETTING_KEYS
from core.document_kinds import DOCUMENT_KINDS
from core.extensions import db
from core.i18n import _l
from core.models import Project, ProjectSettingRow


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    endpoint: str
    setting: str | None  # the project setting that must be on (None: always shown)
    permission: str | None = None  # the contact permission needed besides "projects"


TABS: tuple[Tab, ...] = (
    Tab("overview", _l("Overview"), "portal.projects.detail", None),
    Tab("tasks", _l("Tasks"), "portal.projects.tasks", "view_tasks"),
    Tab("milestones", _l("Milestones"), "portal.projects.milestones", "view_milestones"),
    Tab("files", _l("Files"), "portal.projects.files", "view_files"),
    Tab("discussions", _l("Discussions"), "portal.projects.discussions", "view_discussions"),
    # One tab per kind of ``core.document_kinds`` shown in projects, needing the kind's permission.
    *(
        Tab(k.tab, k.plural, f"portal.projects.{k.tab}", "view_finance", k.permission)
        for k in DOCUMENT_KINDS
        if k.in_project_tab
    ),
    Tab("tickets", _l("Tickets"), "portal.projects.tickets", "view_tickets", "support"),
)
TABS_BY_KEY = {tab.key: tab for tab in TABS}


@dataclass(frozen=True)
class ProjectPage:
    """A project opened on one tab, with what the contact may see and do on it."""

    project: Project
    settings: frozenset[str]
    tab: Tab
    tabs: tuple[Tab, ...]  # the tabs this contact may open on this project

    def allows(self, setting: str) -> bool:
        return setting in self.settings


def _may_open(tab: Tab, settings: frozenset[str]) -> bool:
    return (tab.setting is None or tab.setting in settings) and (
        tab.permission is None or current_user.can(tab.permission)
    )


# Built once with bound parameters (see ``guards.owned_statement``): the project page's busiest query.
_PROJECT_WITH_SETTINGS = (
    select(Project, ProjectSettingRow.setting)
    .outerjoin(ProjectSettingRow, ProjectSettingRow.project_id == Project.id)
    .where(Project.customer_id == bindparam("customer_id"), Project.id == bindparam("project_id"))
)


def _project_with_settings(project_id: int) -> tuple[Project, frozenset[str]]:
    """The contact's customer's project and its enabled settings, in one query; else 404.

    The same answer as ``owned_or_404(Project, ...)`` plus ``project_settings(project)``: one
    row per setting row (or one row with None when there are none), unknown keys ignored.
    """
    params = {"customer_id": current_user.customer_id, "project_id": project_id}
    rows = db.session.execute(_PROJECT_WITH_SETTINGS, params).all()
    if not rows:
        abort(404)
    return rows[0][0], frozenset(setting for _project, setting in rows) & PROJECT_SETTING_KEYS


def open_tab(project_id: int, tab_key: str, *, action: str | None = None) -> ProjectPage:
    """The contact's project opened on ``tab_key``, or abort.

    403 when the tab needs a permission the contact lacks (checked before any lookup, like
    the feature permission); 404 when the project is another customer's, or when the
    project's settings hide the tab or forbid ``action`` (a setting such as "upload_files").
    """
    tab = TABS_BY_KEY[tab_key]
    if tab.permission is not None and not current_user.can(tab.permission):
        abort(403)
    project, settings = _project_with_settings(project_id)
    if tab.setting is not None and tab.setting not in settings:
        abort(404)
    if action is not None and action not in settings:
        abort(404)
    return ProjectPage(project, settings, tab, tuple(t for t in TABS if _may_open(t, settings)))


def shared_items(model, project: Project):
    """A select() of the project's ``model`` rows (tasks, milestones, discussions) shared with the
    customer: internal ones never reach the customer area, in lists or by id."""
    return select(model).where(model.project_id == project.id, model.visible_to_customer)


def shared_item_or_404(model, project: Project, item_id: int):
    """One shared ``model`` row of the project (``shared_items``), else 404."""
    return db.first_or_404(shared_items(model, project).where(model.id == item_id))
