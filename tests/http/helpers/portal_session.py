"""Shared by the contact session and profile tests: re-reading a contact, where a response sends the browser."""

from __future__ import annotations

from core.extensions import db
from core.models import Contact


def _fresh(contact: Contact) -> Contact:
    """Re-read ``contact``: requests run in their own session and change the row (last_login)."""
    db.session.refresh(contact)
    return contact


def _location(response) -> str:
    return response.headers["Location"]
