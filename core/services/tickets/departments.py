"""Ticket departments: administrators add, rename and deactivate them; a ticket is filed under
an active one (or under "General" while no department is active).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit import record
from core.extensions import db
from core.i18n import _, ngettext
from core.models import Department, StaffUser, Ticket
from core.services import ServiceError

DEFAULT_DEPARTMENT = "General"
MAX_DEPARTMENT_LENGTH = 80


def department_names() -> list[str]:
    """The departments a ticket can be filed under: the active ones, or "General" if none is."""
    names = list(db.session.scalars(select(Department.name).where(Department.active).order_by(Department.name)))
    return names or [DEFAULT_DEPARTMENT]


def create_department(name: str, staff: StaffUser) -> Department:
    """Add an active department and commit; names are unique whatever their case."""
    name = _department_name(name)
    department = Department(name=name, active=True)
    db.session.add(department)
    record("department.created", actor=staff, name=name)
    _commit_department(name)
    return department


def rename_department(department: Department, name: str, staff: StaffUser) -> None:
    """Rename a department and the tickets filed under it, and commit (names stay unique)."""
    name = _department_name(name, exclude_id=department.id)
    old = department.name
    if name == old:
        return
    department.name = name
    # Tickets store the department by name: keep them filed under the renamed department.
    db.session.execute(update(Ticket).where(Ticket.department == old).values(department=name))
    record("department.renamed", actor=staff, before=old, after=name)
    _commit_department(name)


def set_department_active(department: Department, active: bool, staff: StaffUser) -> None:
    """Activate or deactivate a department and commit. Its tickets keep it; new tickets and
    department changes can only choose active departments.
    """
    if department.active == active:
        return
    department.active = active
    record("department.activated" if active else "department.deactivated", actor=staff, name=department.name)
    db.session.commit()


def _department_name(name: str, *, exclude_id: int | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Enter a department name."))
    if len(name) > MAX_DEPARTMENT_LENGTH:
        raise ServiceError(
            ngettext(
                "The department name is too long (at most %(max)d character).",
                "The department name is too long (at most %(max)d characters).",
                MAX_DEPARTMENT_LENGTH,
                max=MAX_DEPARTMENT_LENGTH,
            )
        )
    stmt = select(Department.id).where(func.lower(Department.name) == name.lower())
    if exclude_id is not None:
        stmt = stmt.where(Department.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ServiceError(_('A department named "%(name)s" already exists.', name=name))
    return name


def _commit_department(name: str) -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        # Someone saved the same name a moment ago: the unique constraint caught it.
        db.session.rollback()
        raise ServiceError(_('A department named "%(name)s" already exists.', name=name)) from exc
