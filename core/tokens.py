"""Signed, single-purpose tokens for emailed links.

Each purpose has its own salt, so a token made for one purpose is refused by every other.
Password tokens (invitation, reset) and sign-in links carry a fingerprint of the user's
password hash, session token and email: setting a password, logging out everywhere or changing
the email changes the fingerprint, so a used link, and every older one, stops working. Staff
sign-in links have a purpose of their own, so a contact's link never signs in to the admin
area, nor a staff link to the customer area.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from core.extensions import db
from core.i18n import _
from core.models import Contact, StaffUser

# Lifetimes in seconds (bandit mistakes the "password_reset" key for a password).
MAX_AGE = {
    "invitation": 48 * 3600,
    "password_reset": 3600,  # nosec B105
    "unsubscribe": 365 * 24 * 3600,
    "sign_in_link": 15 * 60,
    "staff_sign_in_link": 15 * 60,
}
# The sign-in link purpose of each kind of user (``Contact.kind``, ``StaffUser.kind``).
SIGN_IN_PURPOSES = {"contact": "sign_in_link", "staff": "staff_sign_in_link"}


class TokenError(Exception):
    """The link cannot be used; ``str(error)`` is a message for the user."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in MAX_AGE:
        raise ValueError(purpose)
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal-{purpose}")


def _fingerprint(contact: Contact | StaffUser) -> str:
    state = f"{contact.password_hash or ''}|{contact.session_token}|{contact.email}"
    return hashlib.sha256(state.encode()).hexdigest()[:20]


def make_password_token(purpose: str, contact: Contact) -> str:
    """A token for ``purpose`` ("invitation" or "password_reset") bound to the contact's state."""
    return _serializer(purpose).dumps({"c": contact.id, "f": _fingerprint(contact)})


def load_password_token(purpose: str, token: str) -> Contact:
    """The contact the token was made for, while it may log in (``Contact.may_log_in``).

    Raises TokenError if the token is expired, used or forged."""
    try:
        data = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as exc:
        raise TokenError(_("This link has expired. Please ask for a new one.")) from exc
    except BadSignature as exc:
        raise TokenError(_("This link is not valid. Please check that you copied all of it.")) from exc
    contact = (
        db.session.get(Contact, data.get("c")) if isinstance(data, dict) and isinstance(data.get("c"), int) else None
    )
    if contact is None or not contact.may_log_in or not hmac.compare_digest(str(data.get("f")), _fingerprint(contact)):
        raise TokenError(_("This link has already been used or is no longer valid. Please ask for a new one."))
    return contact


def make_unsubscribe_token(contact: Contact, notification: str) -> str:
    """A token that switches one notification type off for one contact, without a login."""
    return _serializer("unsubscribe").dumps({"c": contact.id, "n": notification})


def load_unsubscribe_token(token: str) -> tuple[Contact, str]:
    """(contact, notification key) from an unsubscribe token; raises TokenError otherwise."""
    try:
        data = _serializer("unsubscribe").loads(token, max_age=MAX_AGE["unsubscribe"])
    except BadSignature as exc:  # includes SignatureExpired
        raise TokenError(_("This unsubscribe link is not valid.")) from exc
    contact = (
        db.session.get(Contact, data.get("c")) if isinstance(data, dict) and isinstance(data.get("c"), int) else None
    )
    if contact is None or not isinstance(data.get("n"), str):
        raise TokenError(_("This unsubscribe link is not valid."))
    return contact, data["n"]


def make_sign_in_token(user: Contact | StaffUser, nonce: str, next_path: str) -> str:
    """A sign-in link token (15 minutes) for a contact or a staff member (each kind its own
    purpose): its newest link's ``nonce`` (see ``core.services.sign_in_links``), the page to
    land on, and the password-state fingerprint."""
    payload = {"c": user.id, "f": _fingerprint(user), "n": nonce, "p": next_path}
    return _serializer(SIGN_IN_PURPOSES[user.kind]).dumps(payload)


def load_sign_in_token(token: str, model: type[Contact] | type[StaffUser]) -> tuple[Contact | StaffUser, str, str]:
    """(user, nonce, landing path) of a sign-in link token made for a ``model`` user (a token of
    the other kind is not valid here) who may log in and whose password state is unchanged;
    raises TokenError if expired, forged or outdated.

    The nonce is not checked here: the caller compares (and consumes) it."""
    purpose = SIGN_IN_PURPOSES[model.kind]
    try:
        data = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as exc:
        raise TokenError(_("This link has expired. Please ask for a new one.")) from exc
    except BadSignature as exc:
        raise TokenError(_("This link is not valid. Please check that you copied all of it.")) from exc
    valid = isinstance(data, dict) and isinstance(data.get("c"), int)
    valid = valid and isinstance(data.get("n"), str) and isinstance(data.get("p"), str)
    user = db.session.get(model, data["c"]) if valid else None
    if user is None or not user.may_log_in or not hmac.compare_digest(str(data.get("f")), _fingerprint(user)):
        raise TokenError(_("This link has already been used or is no longer valid. Please ask for a new one."))
    return user, data["n"], data["p"]
