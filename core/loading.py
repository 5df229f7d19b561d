"""Eager-loading options shared by the views of both areas.

A ``Contact`` mapping select-in loads its permission and notification rows whenever a contact
is loaded (two more queries). A contact shown only by name (a comment's author, a ticket's
opener) needs neither: ``NAME_ONLY`` leaves them to load lazily, should anything ask.
"""

from __future__ import annotations

from sqlalchemy.orm import joinedload, lazyload

from core.models import Contact

NAME_ONLY = (lazyload(Contact.permission_rows), lazyload(Contact.notification_rows))


def contact_name_only(relationship):
    """Join the contact behind ``relationship`` (e.g. ``Ticket.contact``) into the same query."""
    return joinedload(relationship).options(*NAME_ONLY)


def with_authors(model):
    """Options loading a comment's or reply's author (contact or staff member) in the same query."""
    return (contact_name_only(model.contact), joinedload(model.staff))
