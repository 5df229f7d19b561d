"""Password hashing with argon2id; costs come from the app config."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


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
