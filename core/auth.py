"""Who is logged in: one Flask-Login manager for staff and contacts.

The session stores ``<kind>:<id>:<session_token>`` (Flask-Login alternative ids), so rotating
a user's token ends every session made before, and loading the user fresh on each request
makes permission changes and deactivation take effect on the next request.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.orm import joinedload, lazyload, with_expression

from core.extensions import db, login_manager
from core.models import Contact, ContactPermission, Customer, StaffUser

# One statement, built once (a bound parameter for the id): the contact with its customer and
# permissions (checked on every page); notification rows load only where a page uses them.
# Building the select and its loader options on every request cost more than running it.
CONTACT_WITH_ACCESS = (
    select(Contact)
    .options(
        joinedload(Contact.customer),
        lazyload(Contact.permission_rows),
        lazyload(Contact.notification_rows),
        with_expression(
            Contact.granted_keys,
            # The separator as SQL text: a bound one would be re-rendered into the SQL on each run.
            select(func.coalesce(func.aggregate_strings(ContactPermission.permission, literal_column("','")), ""))
            .where(ContactPermission.contact_id == Contact.id)
            .scalar_subquery(),
        ),
    )
    .where(Contact.id == bindparam("contact_id"))
)


@login_manager.user_loader
def load_user(user_id: str):
    try:
        kind, raw_id, token = user_id.split(":", 2)
        pk = int(raw_id)
    except ValueError:
        return None
    if kind == "contact":
        contact = db.session.scalars(CONTACT_WITH_ACCESS, {"contact_id": pk}).one_or_none()
        if contact is None or contact.session_token != token:
            return None
        if not contact.may_log_in:
            return None
        return contact
    if kind == "staff":
        staff = db.session.get(StaffUser, pk)
        if staff is None or staff.session_token != token or not staff.active:
            return None
        return staff
    return None


def is_contact(user) -> bool:
    return isinstance(user, Contact)


def is_staff(user) -> bool:
    return isinstance(user, StaffUser)


__all__ = ["Customer", "is_contact", "is_staff", "load_user"]
