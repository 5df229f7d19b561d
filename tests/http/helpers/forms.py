"""Forms as the browser posts them, shared by the HTTP tests: a test names only what differs."""

from __future__ import annotations


def contact_form(**overrides) -> dict:
    """The admin's form for a new contact (Nina Neu, active, with a password set now), with ``overrides``."""
    person = {"first_name": "Nina", "last_name": "Neu", "email": "nina@example.com", "phone": "", "position": ""}
    return person | {"access": "password", "password": "a good password", "active": "y"} | overrides
