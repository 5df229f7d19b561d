"""Administrators opening the customer area as one of the contacts ("log in as contact").

The contact's password, session token and last login stay untouched; both the start and the
end are in the audit log. The session remembers the administrator (as its alternative id,
which includes its session token) so "back to admin" needs no password and dies with it.
"""

from __future__ import annotations

from flask import has_request_context, session
from flask_login import current_user, login_user

from core.audit import record
from core.auth import is_contact, is_staff, load_user
from core.extensions import db
from core.i18n import _
from core.models import Contact, StaffUser

from . import ServiceError

IMPERSONATOR = "_impersonator"


def start(staff: StaffUser, contact: Contact) -> None:
    """Switch this browser session to ``contact``; commit the audit entry."""
    if not staff.is_admin:
        raise ServiceError(_("Only administrators can log in as a contact."))
    if not contact.may_log_in:
        raise ServiceError(_("This contact is inactive and cannot log in."))
    record("staff.login_as_contact", actor=staff, customer_id=contact.customer_id, target=contact)
    db.session.commit()
    session.clear()
    session[IMPERSONATOR] = staff.get_id()
    login_user(contact)


def impersonator() -> StaffUser | None:
    """The administrator behind the current contact session, if any (still valid)."""
    staff_id = session.get(IMPERSONATOR)
    user = load_user(staff_id) if isinstance(staff_id, str) else None
    return user if is_staff(user) else None


def active() -> bool:
    """True while the current request is an administrator's view of the customer area as a contact."""
    return has_request_context() and is_contact(current_user) and impersonator() is not None


def stop(contact: Contact) -> StaffUser | None:
    """Return to the administrator's session; None if there is none (then nothing changes)."""
    staff = impersonator()
    if staff is None:
        return None
    record("staff.login_as_contact_ended", actor=staff, customer_id=contact.customer_id, target=contact)
    db.session.commit()
    session.clear()
    login_user(staff)
    return staff
