"""Invitations, password resets and the password-changed notice (personal emails).

These are always sent, whatever the notification toggles say: they are about the person.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from core.audit import record
from core.extensions import db
from core.mail.flush import mark_queued
from core.mail.outbox import queue_email
from core.models import Contact, PasswordResetRequest, normalize_email
from core.passwords import hash_password, new_session_token, password_problem
from core.tokens import load_password_token, make_password_token

from . import ServiceError


def queue_invitation(contact: Contact) -> None:
    """Add the set-password email (valid 48 hours, single use) to the current transaction."""
    token = make_password_token("invitation", contact)
    queue_email("invitation", contact, link_values={"token": token})


def send_invitation(contact: Contact) -> None:
    """Queue a set-password email and commit. Earlier invitations stay valid until one is used."""
    queue_invitation(contact)
    db.session.commit()


def request_password_reset(email: str) -> None:
    """Queue "a reset was asked for ``email``" and commit, without looking the address up.

    The request does exactly the same work for every address (one INSERT), so neither its
    answer nor its timing tells whether an account uses it. After the response, the mail
    flush or the dispatcher runs ``prepare_reset_emails``, which decides whether to send.
    """
    db.session.add(PasswordResetRequest(email=normalize_email(email)[:254]))
    mark_queued()
    db.session.commit()


def prepare_reset_emails(limit: int = 100) -> int:
    """Turn queued reset requests into reset emails (outbox rows); return how many were queued.

    Each request is claimed by deleting its row (only the dispatcher whose DELETE removed it
    goes on, so two dispatchers never send one reset twice), then resolved: an active contact
    of an active customer gets a reset link (single use, bound to its password state); any
    other address gets nothing. One commit per request: the claim and the email go together.
    """
    queued = 0
    pending = select(PasswordResetRequest.id, PasswordResetRequest.email).order_by(PasswordResetRequest.id)
    for request_id, email in db.session.execute(pending.limit(limit)).all():
        claimed = db.session.execute(delete(PasswordResetRequest).where(PasswordResetRequest.id == request_id))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        contact = db.session.scalar(select(Contact).where(Contact.email == email))
        if contact is not None and contact.may_log_in:
            token = make_password_token("password_reset", contact)
            queue_email("password_reset", contact, link_values={"token": token})
            queued += 1
        db.session.commit()
    return queued


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
