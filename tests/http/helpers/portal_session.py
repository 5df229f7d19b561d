"""Shared by the contact session and profile tests: re-reading a contact, where a response sends the browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from core.extensions import db
from core.models import Contact


def _fresh(contact: Contact) -> Contact:
    """Re-read ``contact``: requests run in their own session and change the row (last_login)."""
    db.session.refresh(contact)
    return contact


def _location(response) -> str:
    return response.headers["Location"]


def _sent_to_login(response, path: str | None = None) -> bool:
    """True when ``response`` redirects to the login page (asking to come back to ``path``)."""
    if response.status_code != 302:
        return False
    location = urlsplit(_location(response))
    if (location.scheme, location.netloc, location.path) != ("", "", "/login"):
        return False
    return path is None or parse_qs(location.query) == {"next": [path]}
