"""Staff accounts: administrators manage them; roles limit what staff may do."""

from __future__ import annotations

from sqlalchemy import func, select

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import StaffUser
from core.passwords import new_session_token

from . import ServiceError


def _other_active_admins(staff: StaffUser) -> int:
    stmt = select(func.count(StaffUser.id)).where(StaffUser.is_admin, StaffUser.active, StaffUser.id != staff.id)
    return db.session.scalar(stmt) or 0


def set_role_and_active(staff: StaffUser, *, is_admin: bool, active: bool, actor: StaffUser) -> None:
    """Change a staff member's role or active flag and commit; the last active admin stays one."""
    if (not is_admin or not active) and staff.is_admin and staff.active and _other_active_admins(staff) == 0:
        raise ServiceError(_("There must always be at least one active administrator."))
    before = {"is_admin": staff.is_admin, "active": staff.active}
    staff.is_admin, staff.active = is_admin, active
    if not active:
        staff.session_token = new_session_token()  # ends its sessions
    record("staff.changed", actor=actor, target=staff, before=before, after={"is_admin": is_admin, "active": active})
    db.session.commit()
