"""Password hashing with argon2id; costs come from the app config."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from core.i18n import _, ngettext

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "common_passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` may not be used, or None. Length 8-128, not common, not the email."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return ngettext(
            "Use at least %(min)d character (12 or more is better).",
            "Use at least %(min)d characters (12 or more is better).",
            MIN_PASSWORD_LENGTH,
            min=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return ngettext(
            "Use at most %(max)d character.",
            "Use at most %(max)d characters.",
            MAX_PASSWORD_LENGTH,
            max=MAX_PASSWORD_LENGTH,
        )
    lowered = password.strip().lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return _("This password is too common and easy to guess. Choose another one.")
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return _("Do not use your email address as your password.")
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``; the whole password counts (no truncation)."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True only when ``password`` matches; never raises for a bad or missing hash.

    With no hash (unknown user, invited contact without password) a dummy hash is still
    verified, so the response time does not reveal whether an account exists.
    """
    hasher = _hasher()
    if not password_hash:
        hasher.hash(password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_session_token() -> str:
    """A fresh random token; changing it invalidates every existing session cookie."""
    return secrets.token_hex(16)
