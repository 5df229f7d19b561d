"""Optional TOTP two-factor login for contacts and staff, with one-time recovery codes.

The secret is stored only once the user proved, with a code, that its authenticator app has
it. Recovery codes are shown once and stored as hashes; each works a single time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import pyotp
import segno
from flask import current_app
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import Contact, RecoveryCode, StaffUser, utcnow
from core.passwords import verify_password
from core.services import ServiceError

RECOVERY_CODES = 10


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


def enable(user: Contact | StaffUser, secret: str, code: str) -> list[str]:
    """Turn two-factor login on when ``code`` matches ``secret``; commit; return recovery codes."""
    if not pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1):
        raise ServiceError(_("That code is not right. Check the time on your phone and try the newest code."))
    for old in db.session.scalars(_codes_of(user)):
        db.session.delete(old)
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _index in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(code_hash=_hash(c), **_owner(user)) for c in codes)
    user.totp_secret = secret
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
    """True for a current TOTP code or an unused recovery code (which is then used up)."""
    cleaned = code.strip().replace(" ", "")
    if not user.totp_secret or not cleaned or len(cleaned) > 20:
        return False
    if cleaned.isdigit() and pyotp.TOTP(user.totp_secret).verify(cleaned, valid_window=1):
        return True
    wanted = _hash(cleaned)
    for stored in db.session.scalars(_codes_of(user).where(RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(stored.code_hash, wanted):
            stored.used_at = utcnow()
            record("twofactor.recovery_code_used", actor=user, customer_id=getattr(user, "customer_id", None))
            db.session.commit()
            return True
    return False
