"""Invitations, password resets and the password-changed notice (personal emails).

These are always sent, whatever the notification toggles say: they are about the person.
"""

from __future__ import annotations

from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.mail.outbox import queue_email
from core.models import Contact
from core.passwords import hash_password, new_session_token, password_problem
from core.tokens import load_password_token, make_password_token

from . import ServiceError
from .contacts import normalize_email


def queue_invitation(contact: Contact) -> None:
    """Add the set-password email (valid 48 hours, single use) to the current transaction."""
    token = make_password_token("invitation", contact)
    queue_email("invitation", contact, link_values={"token": token})


def send_invitation(contact: Contact) -> None:
    """Queue a set-password email and commit. Earlier invitations stay valid until one is used."""
    queue_invitation(contact)
    db.session.commit()


def request_password_reset(email: str) -> None:
    """Queue a reset email if an active contact has this address, and commit.

    The caller answers the same way either way, so the response never reveals accounts.
    """
    contact = db.session.scalar(select(Contact).where(Contact.email == normalize_email(email)))
    if contact is None or not contact.active or not contact.customer.active:
        return
    token = make_password_token("password_reset", contact)
    queue_email("password_reset", contact, link_values={"token": token})
    db.session.commit()


def set_password_with_token(purpose: str, token: str, password: str) -> Contact:
    """Set the password of the token's contact, end its sessions, notify it, and commit.

    Raises ``core.tokens.TokenError`` for an expired, used, forged or cross-purpose token.
    Setting the password changes the token fingerprint, so this and older links die.
    """
    contact = load_password_token(purpose, token)
    if problem := password_problem(password, contact.email):
        raise ServiceError(problem)
    contact.password_hash = hash_password(password)
    contact.session_token = new_session_token()
    if purpose == "password_reset":
        queue_email("password_changed", contact)
    record(
        "password.reset" if purpose == "password_reset" else "password.set_from_invitation",
        actor=contact,
        customer_id=contact.customer_id,
        target=contact,
    )
    db.session.commit()
    return contact
