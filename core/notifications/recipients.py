"""Who receives an automatic email: the queries on the one rule, ``Contact.receives``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from core.extensions import db
from core.models import Contact, StaffUser


def _recipients_statement(notification: str):
    """The contacts that receive ``notification`` (``Contact.receives``), in customer and id order."""
    return select(Contact).where(Contact.receives(notification)).order_by(Contact.customer_id, Contact.id)


def recipients_for(customer_id: int, notification: str, *, only_contact_id: int | None = None) -> list[Contact]:
    """Contacts of the customer that get ``notification`` emails, in a stable order.

    The rule is ``Contact.receives``: the contact may log in (active, of an active customer),
    has the toggle on, and holds the permission the toggle needs (an email never shows what
    the portal would hide).
    ``only_contact_id`` narrows to one contact (a ticket's emails go to its own contact only).
    """
    stmt = _recipients_statement(notification).where(Contact.customer_id == customer_id)
    if only_contact_id is not None:
        stmt = stmt.where(Contact.id == only_contact_id)
    return list(db.session.scalars(stmt))


def recipients_by_customer(customer_ids: Iterable[int], notification: str) -> dict[int, list[Contact]]:
    """``recipients_for(customer_id, notification)`` for many customers in one query.

    Every customer asked about is a key (an empty list when nobody qualifies); the lists are
    exactly what ``recipients_for`` returns, in the same order.
    """
    ids = sorted(set(customer_ids))
    found: dict[int, list[Contact]] = {customer_id: [] for customer_id in ids}
    if ids:
        for contact in db.session.scalars(_recipients_statement(notification).where(Contact.customer_id.in_(ids))):
            found[contact.customer_id].append(contact)
    return found


def staff_recipients() -> list[StaffUser]:
    """Staff who are emailed about customer actions: the active administrators."""
    stmt = select(StaffUser).where(StaffUser.active, StaffUser.is_admin).order_by(StaffUser.id)
    return list(db.session.scalars(stmt))
