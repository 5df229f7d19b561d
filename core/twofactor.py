"""Optional TOTP two-factor login for contacts and staff, with one-time recovery codes.

The secret is stored only once the user proved, with a code, that its authenticator app has
it. Recovery codes are shown once and stored as hashes; each works a single time.

A TOTP code works once too: the time step of the last accepted code is stored per user, and a
code is accepted only for a later step (a code seen over a shoulder or in a proxy log cannot be
replayed within its window). Enabling counts as a use of its code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, select, update

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import Contact, RecoveryCode, StaffUser, utcnow
from core.passwords import verify_password
from core.services import ServiceError

RECOVERY_CODES = 10
# Codes of the previous and the next time step are accepted too (phone clocks drift).
VALID_WINDOW = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: Contact | StaffUser, secret: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    issuer = current_app.config["COMPANY_NAME"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_data_uri(uri: str) -> str:
    """The URI as an SVG QR code in a data: URL (allowed by the CSP's img-src)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _owner(user: Contact | StaffUser) -> dict:
    return {"contact_id": user.id} if isinstance(user, Contact) else {"staff_id": user.id}


def _codes_of(user: Contact | StaffUser):
    column = RecoveryCode.contact_id if isinstance(user, Contact) else RecoveryCode.staff_id
    return select(RecoveryCode).where(column == user.id)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step (within ``VALID_WINDOW`` of now) whose code is ``code``, or None."""
    if not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    # Newest first: if two steps share a code, the later one is used up.
    for step in range(now + VALID_WINDOW, now - VALID_WINDOW - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(user: Contact | StaffUser, step: int) -> bool:
    """Record ``step`` as the user's last used one and commit, unless it or a later one was used.

    One conditional UPDATE, its row count the answer: two requests racing with the same code
    cannot both succeed (the second waits for the first's row lock, then matches no row).
    """
    model = type(user)
    result = db.session.execute(
        update(model)
        .where(model.id == user.id, or_(model.totp_last_step.is_(None), model.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def enable(user: Contact | StaffUser, secret: str, code: str) -> list[str]:
    """Turn two-factor login on when ``code`` matches ``secret``; commit; return recovery codes."""
    step = _matching_step(secret, code.strip().replace(" ", ""))
    if step is None:
        raise ServiceError(_("That code is not right. Check the time on your phone and try the newest code."))
    for old in db.session.scalars(_codes_of(user)):
        db.session.delete(old)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _index in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(code_hash=_hash(c), **_owner(user)) for c in codes)
    user.totp_secret = secret
    user.totp_last_step = step  # the code that proved the app has the secret is used up
    record("twofactor.enabled", actor=user, customer_id=getattr(user, "customer_id", None), target=user)
    db.session.commit()
    return codes


def disable(user: Contact | StaffUser, password: str, code: str) -> None:
    """Turn two-factor login off after checking the password and a current code (or a recovery
    code, then used up); commit.

    The password is checked first, so a wrong password never uses up a recovery code.
    """
    if not verify_password(user.password_hash, password):
        raise ServiceError(_("Your password is not correct."))
    if not verify(user, code):
        raise ServiceError(_("That code is not right. Enter the newest code from your app or a recovery code."))
    user.totp_secret = None
    for old in db.session.scalars(_codes_of(user)):
        db.session.delete(old)
    record("twofactor.disabled", actor=user, customer_id=getattr(user, "customer_id", None), target=user)
    db.session.commit()


def verify(user: Contact | StaffUser, code: str) -> bool:
    """True for a current, not yet used TOTP code or an unused recovery code; either is then used up.

    Every check of a code goes through here (login, and any action that asks for a code), so
    a TOTP code accepted once is refused everywhere afterwards. Commits when a code is used.
    """
    cleaned = code.strip().replace(" ", "")
    if not user.totp_secret or not cleaned or len(cleaned) > 20:
        return False
    step = _matching_step(user.totp_secret, cleaned)
    if step is not None:
        return _use_step(user, step)
    wanted = _hash(cleaned)
    for stored in db.session.scalars(_codes_of(user).where(RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(stored.code_hash, wanted):
            stored.used_at = utcnow()
            record("twofactor.recovery_code_used", actor=user, customer_id=getattr(user, "customer_id", None))
            db.session.commit()
            return True
    return False
