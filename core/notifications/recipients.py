"""The one place that decides who receives an automatic email."""

from __future__ import annotations

from sqlalchemy import and_, select

from core.catalogs import NOTIFICATIONS_BY_KEY
from core.extensions import db
from core.models import Contact, ContactNotification, ContactPermission, Customer, StaffUser


def recipients_for(customer_id: int, notification: str, *, only_contact_id: int | None = None) -> list[Contact]:
    """Contacts of the customer that get ``notification`` emails, in a stable order.

    A contact qualifies when it is active, of an active customer, has the toggle on, and
    holds the permission the toggle needs (an email never shows what the portal would hide).
    ``only_contact_id`` narrows to one contact (a ticket's emails go to its own contact only).
    """
    permission = NOTIFICATIONS_BY_KEY[notification].permission
    stmt = (
        select(Contact)
        .join(Customer, Customer.id == Contact.customer_id)
        .join(
            ContactNotification,
            and_(ContactNotification.contact_id == Contact.id, ContactNotification.notification == notification),
        )
        .join(
            ContactPermission,
            and_(ContactPermission.contact_id == Contact.id, ContactPermission.permission == permission),
        )
        .where(Contact.customer_id == customer_id, Contact.active, Customer.active)
        .order_by(Contact.id)
    )
    if only_contact_id is not None:
        stmt = stmt.where(Contact.id == only_contact_id)
    return list(db.session.scalars(stmt))


def qualifies(contact: Contact, notification: str) -> bool:
    """The same rule as ``recipients_for`` for one loaded contact (used by matrices and dialogs)."""
    permission = NOTIFICATIONS_BY_KEY[notification].permission
    return contact.active and contact.wants(notification) and contact.can(permission)


def staff_recipients() -> list[StaffUser]:
    """Staff who are emailed about customer actions: the active administrators."""
    stmt = select(StaffUser).where(StaffUser.active, StaffUser.is_admin).order_by(StaffUser.id)
    return list(db.session.scalars(stmt))
