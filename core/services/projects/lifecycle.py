"""Projects themselves: create, edit, status, the customer settings, and the staff list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Select, delete, or_, select
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.catalogs import DEFAULT_PROJECT_SETTINGS, PROJECT_SETTING_KEYS, PROJECT_SETTINGS
from core.extensions import db
from core.i18n import _
from core.models import PROJECT_STATUSES, Customer, Project, ProjectSettingRow, StaffUser
from core.notifications.notify import notify_project
from core.search import contains_text
from core.webhooks import emit

from .. import ServiceError
from ._common import clean_name, clean_text, recent_duplicate


def project_settings(project: Project) -> frozenset[str]:
    """The customer settings enabled on ``project`` (keys of ``core.catalogs.PROJECT_SETTINGS``).

    A project without rows allows nothing beyond its overview: a setting is off unless a row
    says it is on.
    """
    rows = db.session.scalars(select(ProjectSettingRow.setting).where(ProjectSettingRow.project_id == project.id))
    return frozenset(rows) & PROJECT_SETTING_KEYS


def project_allows(project: Project, key: str) -> bool:
    """True when the project's setting ``key`` is on (``key`` must be in the catalog)."""
    if key not in PROJECT_SETTING_KEYS:
        raise ValueError(f"unknown project setting {key!r}")
    return key in project_settings(project)


def _check_setting_keys(keys: Iterable[str]) -> frozenset[str]:
    keys = frozenset(keys)
    unknown = keys - PROJECT_SETTING_KEYS
    if unknown:
        raise ServiceError(_("Unknown project setting: %(keys)s", keys=", ".join(sorted(unknown))))
    return keys


def create_project(
    customer_id: int,
    name: str,
    description: str = "",
    deadline: date | None = None,
    *,
    settings: Iterable[str] | None = None,
    notify: bool = True,
) -> Project:
    """Create a project with ``settings`` (default: ``DEFAULT_PROJECT_SETTINGS``), notify the
    customer's project contacts (unless ``notify`` is False), and commit. Submitting the same name for the same customer
    twice in a row creates one project."""
    name = clean_name(name, "project")
    description = clean_text(description, required=False)
    keys = DEFAULT_PROJECT_SETTINGS if settings is None else _check_setting_keys(settings)
    duplicate = recent_duplicate(Project, Project.customer_id == customer_id, Project.name == name)
    if duplicate is not None:
        return duplicate
    project = Project(
        customer_id=customer_id,
        name=name,
        description=description,
        start_date=date.today(),
        deadline=deadline,
        status="in_progress",
    )
    db.session.add(project)
    db.session.flush()
    db.session.add_all(ProjectSettingRow(project_id=project.id, setting=key) for key in sorted(keys))
    if notify:
        notify_project("project_created", project)
    db.session.commit()
    return project


def update_project(project: Project, *, name: str, description: str, deadline: date | None, progress: int) -> None:
    """Save the editable fields and commit; refuses an empty name, a deadline before the start
    date, or a progress outside 0..100."""
    name = clean_name(name, "project")
    description = clean_text(description, required=False)
    if deadline is not None and deadline < project.start_date:
        raise ServiceError(_("The deadline cannot be before the start date."))
    if progress is None or not 0 <= progress <= 100:
        raise ServiceError(_("Progress is a percentage between 0 and 100."))
    project.name, project.description, project.deadline, project.progress = name, description, deadline, progress
    db.session.commit()


def set_project_status(project: Project, status: str, *, notify: bool = True) -> None:
    """Change the status and commit; finishing a project sets progress to 100 and emails its
    project contacts (unless ``notify`` is False; once: saving the same status again changes
    nothing)."""
    if status not in PROJECT_STATUSES:
        raise ServiceError(_("Unknown project status."))
    if status == project.status:
        return
    previous = project.status
    project.status = status
    if status == "finished":
        project.progress = 100
        if notify:
            notify_project("project_finished", project)
    emit("project.status_changed", project, previous_status=previous)
    db.session.commit()


def set_project_settings(project: Project, keys: Iterable[str], *, staff: StaffUser | None = None) -> None:
    """Make exactly ``keys`` the project's enabled settings, audit the change (by ``staff``,
    or the system), and commit."""
    keys = _check_setting_keys(keys)
    before = project_settings(project)
    if keys == before:
        return
    db.session.execute(
        delete(ProjectSettingRow).where(
            ProjectSettingRow.project_id == project.id, ProjectSettingRow.setting.in_(before - keys)
        )
    )
    db.session.add_all(ProjectSettingRow(project_id=project.id, setting=key) for key in sorted(keys - before))
    order = [s.key for s in PROJECT_SETTINGS]
    record(
        "project_settings_changed",
        actor=staff,
        customer_id=project.customer_id,
        target=project,
        before=[k for k in order if k in before],
        after=[k for k in order if k in keys],
    )
    try:
        db.session.commit()
    except IntegrityError as exc:
        # Another request saved the same settings at the same moment.
        db.session.rollback()
        raise ServiceError(_("The settings were changed meanwhile. Check them and save again.")) from exc


def project_search(query: str = "", status: str = "") -> Select:
    """A select() of projects across customers, newest first, narrowed to those whose name or
    customer company contains ``query`` and, when ``status`` is a project status, to it."""
    stmt = (
        select(Project)
        .join(Customer, Customer.id == Project.customer_id)
        .order_by(Project.start_date.desc(), Project.id.desc())
    )
    query = query.strip()
    if query:
        stmt = stmt.where(or_(contains_text(Project.name, query), contains_text(Customer.company, query)))
    if status in PROJECT_STATUSES:
        stmt = stmt.where(Project.status == status)
    return stmt
