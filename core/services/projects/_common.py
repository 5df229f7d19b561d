"""Helpers shared by the project services (not part of the public interface)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import Contact, StaffUser, utcnow

from .. import ServiceError

# A second identical submission by the same author within this window is the same action
# (a double click, a reloaded POST): it returns the first result instead of repeating it.
DUPLICATE_WINDOW = timedelta(seconds=30)

MAX_NAME = 200
MAX_TEXT = 10_000

Author = Contact | StaffUser


def recent_duplicate(model, *conditions):
    """The newest ``model`` row matching ``conditions`` created within ``DUPLICATE_WINDOW``, or None."""
    since = utcnow() - DUPLICATE_WINDOW
    stmt = select(model).where(*conditions, model.created_at >= since).order_by(model.id.desc()).limit(1)
    return db.session.scalar(stmt)


def author_columns(author: Author) -> dict:
    """``contact_id`` / ``staff_id`` values naming ``author`` on a comment or file."""
    if isinstance(author, StaffUser):
        return {"contact_id": None, "staff_id": author.id}
    return {"contact_id": author.id, "staff_id": None}


def by_author(model, author: Author):
    """A condition: ``model`` (a comment) was written by ``author``."""
    if isinstance(author, StaffUser):
        return model.staff_id == author.id
    return model.contact_id == author.id


def clean_name(value: str | None, what: str) -> str:
    """A stripped, non-empty name of at most ``MAX_NAME`` characters; ServiceError otherwise."""
    value = (value or "").strip()
    if not value:
        raise ServiceError(f"Give the {what} a name.")
    if len(value) > MAX_NAME:
        raise ServiceError(f"The {what} name is longer than {MAX_NAME} characters.")
    return value


def clean_text(value: str | None, *, required: bool, empty_message: str = "Write something first.") -> str:
    """Stripped free text of at most ``MAX_TEXT`` characters; ServiceError when empty and required."""
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(empty_message)
    if len(value) > MAX_TEXT:
        raise ServiceError(f"The text is longer than {MAX_TEXT:,} characters.")
    return value
