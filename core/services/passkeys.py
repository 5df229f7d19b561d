"""Passkeys (WebAuthn, Duo's ``webauthn`` library): adding them, signing in with them, and the
rule "this person has a strong second factor".

- The relying party is ``PUBLIC_BASE_URL``: its host name is the RP id, its
  ``scheme://host[:port]`` the only origin accepted, ``COMPANY_NAME`` the name devices show.
- Every ceremony gets a fresh challenge (``_new_challenge``). The browser's session names it, and
  a ``passkey_challenges`` row makes it single use: verifying deletes the row first (one DELETE,
  its row count the answer), so a replayed answer, even with the old session cookie, finds
  nothing. A challenge is good for ``CHALLENGE_SECONDS``.
- Sign-in uses discoverable credentials: no address is typed, the browser offers the passkeys it
  has for this site. The credential must belong to a person of the area asked (a contact for the
  customer area, staff for the admin area) who may log in now, its user handle must be that
  person's, and the signature, the origin, the RP id and the signature counter must verify.
  A passkey proves possession of a device and is phishing-resistant: it counts as both factors.
- ``has_strong_second_factor`` is the one definition of "has a passkey or TOTP"; the staff
  requirement (setting ``require_staff_two_factor``) is ``second_factor_missing``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, session
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import Contact, Passkey, PasskeyChallenge, StaffUser, utcnow
from core.security import origin
from core.services import ServiceError
from core.services.accounts import _set_quietly
from core.services.settings import REQUIRE_STAFF_TWO_FACTOR, get_bool_setting

CHALLENGE_SECONDS = 300
# The session key naming the challenge this browser waits for (not a secret).
SESSION_KEY = "_passkey_ceremony"
NAME_MAX = 80
# Who may sign in to which area with a passkey.
AREA_OWNER = {"portal": "contact", "admin": "staff"}
KNOWN_TRANSPORTS = frozenset(t.value for t in AuthenticatorTransport)

User = Contact | StaffUser


class PasskeyError(ServiceError):
    """A passkey ceremony was refused; ``str(error)`` is a message for the user."""


def b64url(data: bytes) -> str:
    """Unpadded base64url, the form browsers and the library use for ids and challenges."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _from_b64url(value: object) -> bytes:
    if not isinstance(value, str) or len(value) > 2000:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def relying_party() -> tuple[str, str]:
    """(RP id, expected origin), both from ``PUBLIC_BASE_URL``."""
    url = current_app.config["PUBLIC_BASE_URL"]
    return (urlsplit(url).hostname or "", origin(url).lower())


# -- whose passkeys ------------------------------------------------------------------------------


def _owner_column(user: User):
    return Passkey.contact_id if isinstance(user, Contact) else Passkey.staff_id


def passkeys_of(user: User):
    """A select() of the user's passkeys, oldest first: callers narrow it (``Passkey.id == n``)."""
    return select(Passkey).where(_owner_column(user) == user.id).order_by(Passkey.created_at, Passkey.id)


def has_passkey(user: User) -> bool:
    """Whether the user has at least one passkey (one EXISTS query)."""
    return bool(db.session.scalar(select(exists().where(_owner_column(user) == user.id))))


def has_strong_second_factor(user: User) -> bool:
    """The one rule: a passkey or an authenticator app (TOTP) protects this account."""
    return bool(user.totp_secret) or has_passkey(user)


def second_factor_missing(user: User) -> bool:
    """True for a staff member without a strong second factor while administrators require one.

    Contacts are never required to have one. TOTP is looked at first (no query), so the usual
    staff request costs nothing more.
    """
    if not isinstance(user, StaffUser) or user.totp_secret:
        return False
    return get_bool_setting(REQUIRE_STAFF_TWO_FACTOR) and not has_strong_second_factor(user)


def _user_handle(user: User) -> bytes:
    """The user's WebAuthn user handle, made (random, 32 bytes) at its first passkey."""
    if not user.passkey_user_handle:
        # An UPDATE statement, not the attribute: bookkeeping must not bump a contact's version
        # (an open admin form would go stale). Only while unset, then read back: of two tabs
        # adding a first passkey at once, both use the handle that won.
        model = type(user)
        db.session.execute(
            update(model)
            .where(model.id == user.id, model.passkey_user_handle.is_(None))
            .values(passkey_user_handle=b64url(secrets.token_bytes(32)))
            .execution_options(synchronize_session=False)
        )
        handle = db.session.scalar(select(model.passkey_user_handle).where(model.id == user.id))
        set_committed_value(user, "passkey_user_handle", handle)
    return _from_b64url(user.passkey_user_handle)


def _customer_id(user: User) -> int | None:
    return getattr(user, "customer_id", None)


# -- challenges ----------------------------------------------------------------------------------


def _new_challenge(purpose: str) -> bytes:
    """A fresh challenge for ``purpose``, stored (the caller commits) and named in the session.

    Expired challenges are deleted on the way, so the table holds only live ceremonies.
    """
    cutoff = utcnow() - timedelta(seconds=CHALLENGE_SECONDS)
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.created_at < cutoff))
    challenge = secrets.token_bytes(32)
    db.session.add(PasskeyChallenge(challenge=b64url(challenge), purpose=purpose))
    session[SESSION_KEY] = {"challenge": b64url(challenge), "purpose": purpose}
    return challenge


def _take_challenge(purpose: str) -> bytes:
    """The challenge this browser waits for, used up (deleted and committed) whatever follows.

    Raises ``PasskeyError`` when there is none for ``purpose``, or it expired or was used.
    """
    waiting = session.pop(SESSION_KEY, None)
    expired = PasskeyError(_("This passkey request has expired or was already used. Please try again."))
    if not isinstance(waiting, dict) or waiting.get("purpose") != purpose:
        raise expired
    value = str(waiting.get("challenge", ""))
    cutoff = utcnow() - timedelta(seconds=CHALLENGE_SECONDS)
    taken = db.session.execute(
        delete(PasskeyChallenge).where(
            PasskeyChallenge.challenge == value,
            PasskeyChallenge.purpose == purpose,
            PasskeyChallenge.created_at >= cutoff,
        )
    )
    db.session.commit()
    if taken.rowcount != 1:
        raise expired
    return _from_b64url(value)


# -- adding, renaming, removing -------------------------------------------------------------------


def _register_purpose(user: User) -> str:
    return f"register:{user.kind}:{user.id}"


def clean_name(name: object) -> str:
    """A passkey's name as stored: trimmed, inner whitespace collapsed; refused when empty or long."""
    text = " ".join(str(name or "").split())
    if not text:
        raise PasskeyError(_("Give the passkey a name, e.g. the device it is on."))
    if len(text) > NAME_MAX:
        raise PasskeyError(_("A passkey name can have at most 80 characters."))
    return text


def registration_options(user: User) -> str:
    """The JSON options for ``navigator.credentials.create()`` and commit the new challenge.

    Asks for a discoverable credential (resident key required), user verification preferred,
    and excludes the user's passkeys already registered, so one device is not added twice.
    """
    rp_id, _origin = relying_party()
    existing = db.session.scalars(passkeys_of(user)).all()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["COMPANY_NAME"],
        user_name=user.email,
        user_id=_user_handle(user),
        user_display_name=user.full_name if isinstance(user, Contact) else user.name,
        challenge=_new_challenge(_register_purpose(user)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_from_b64url(p.credential_id), transports=_transports(p)) for p in existing
        ],
    )
    db.session.commit()
    return options_to_json(options)


def _transports(passkey: Passkey) -> list[AuthenticatorTransport]:
    return [AuthenticatorTransport(t) for t in passkey.transports.split(",") if t in KNOWN_TRANSPORTS]


def register(user: User, credential: dict, name: object) -> Passkey:
    """Verify the browser's answer to ``registration_options`` and store the passkey; commit.

    Raises ``PasskeyError`` for a bad name, a used or expired challenge, an answer that does not
    verify (wrong origin, RP id or challenge, malformed) or a passkey already registered.
    """
    name = clean_name(name)
    expected = _take_challenge(_register_purpose(user))
    rp_id, expected_origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=expected, expected_rp_id=rp_id, expected_origin=expected_origin
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        current_app.logger.info("Passkey registration refused: %s", exc)
        raise PasskeyError(_("Your device's answer could not be verified. Please try again.")) from exc
    credential_id = b64url(verified.credential_id)
    if db.session.scalar(select(exists().where(Passkey.credential_id == credential_id))):
        raise PasskeyError(_("This passkey is already registered."))
    response = credential.get("response") if isinstance(credential.get("response"), dict) else {}
    transports = [t for t in response.get("transports") or [] if isinstance(t, str) and t in KNOWN_TRANSPORTS]
    owner = {"contact_id": user.id} if isinstance(user, Contact) else {"staff_id": user.id}
    passkey = Passkey(
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(transports)[:200],
        name=name,
        **owner,
    )
    db.session.add(passkey)
    record("passkey.added", actor=user, customer_id=_customer_id(user), target=user, passkey=name)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the same passkey registered at the same moment elsewhere
        db.session.rollback()
        raise PasskeyError(_("This passkey is already registered.")) from exc
    return passkey


def rename(user: User, passkey: Passkey, name: object) -> None:
    """Rename one of the user's passkeys (the caller loaded it through ``passkeys_of``); commit."""
    new = clean_name(name)
    record("passkey.renamed", actor=user, customer_id=_customer_id(user), target=user, before=passkey.name, after=new)
    passkey.name = new
    db.session.commit()


def remove(user: User, passkey: Passkey) -> None:
    """Remove one of the user's passkeys; commit.

    Refused (``PasskeyError``, nothing changed) when it would leave a staff member without the
    second factor administrators require.
    """
    db.session.delete(passkey)
    db.session.flush()
    if second_factor_missing(user):
        db.session.rollback()
        raise PasskeyError(
            _(
                "Staff must have a passkey or an authenticator app. Add another passkey or set up "
                "two-factor login before you remove this one."
            )
        )
    record("passkey.removed", actor=user, customer_id=_customer_id(user), target=user, passkey=passkey.name)
    db.session.commit()


# -- signing in ----------------------------------------------------------------------------------


def authentication_options(area: str) -> str:
    """The JSON options for ``navigator.credentials.get()`` in ``area`` ("portal" or "admin"),
    with no credential list (the browser offers the site's discoverable passkeys); commits."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=_new_challenge(f"login:{area}"),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    db.session.commit()
    return options_to_json(options)


def _owner_in_area(passkey: Passkey | None, area: str) -> User | None:
    if passkey is None:
        return None
    if AREA_OWNER[area] == "contact":
        contact = db.session.get(Contact, passkey.contact_id) if passkey.contact_id else None
        return contact if contact is not None and contact.may_log_in else None
    staff = db.session.get(StaffUser, passkey.staff_id) if passkey.staff_id else None
    return staff if staff is not None and staff.active else None


def _asserted_handle_matches(credential: dict, owner: User) -> bool:
    # Discoverable credentials return the user handle given at registration: it must be the
    # owner's (a credential presented with another person's handle is refused).
    response = credential.get("response")
    handle = response.get("userHandle") if isinstance(response, dict) else None
    if handle is None:
        return True
    try:
        return _from_b64url(handle) == _from_b64url(owner.passkey_user_handle or "")
    except (ValueError, binascii.Error):
        return False


def authenticate(area: str, credential: dict) -> User:
    """The person of ``area`` whose passkey signed this challenge; sign count, last use and last
    login recorded, audited, committed.

    Raises ``PasskeyError`` (audited as a failed login) for a used or expired challenge, an
    unknown credential, one of the other area or of a person who may not log in, another
    person's user handle, or an answer that does not verify (signature, origin, RP id, counter).
    """
    expected = _take_challenge(f"login:{area}")
    raw_id = credential.get("rawId") or credential.get("id")
    try:
        credential_id = b64url(_from_b64url(raw_id))
    except (ValueError, binascii.Error):
        credential_id = ""
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    owner = _owner_in_area(passkey, area)
    rp_id, expected_origin = relying_party()
    try:
        if owner is None or not _asserted_handle_matches(credential, owner):
            raise WebAuthnException("no such passkey for a person of this area who may log in")
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=expected,
            expected_rp_id=rp_id,
            expected_origin=expected_origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        current_app.logger.info("Passkey sign-in refused: %s", exc)
        record(
            "login.failed",
            actor=None,
            customer_id=_customer_id(owner) if owner else None,
            target=owner,
            area=area,
            method="passkey",
        )
        db.session.commit()
        raise PasskeyError(
            _("This passkey was not recognised here. Try another one, or log in with your password.")
        ) from exc
    now = utcnow()
    db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id)
        .values(sign_count=verified.new_sign_count, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    _set_quietly(owner, last_login=now)
    record(
        "login.succeeded",
        actor=owner,
        customer_id=_customer_id(owner),
        target=owner,
        area=area,
        method="passkey",
        passkey=passkey.name,
    )
    db.session.commit()
    return owner
