"""Login throttling with Flask-Limiter: per client IP and per account, never a lockout.

Limits are sliding windows, so an attacker who hammers an account only slows it down for a
minute; the real owner is never locked out for good. Storage is in memory by default and
Redis (``RATELIMIT_STORAGE_URI=redis://...``) when several app processes must share counts.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address

from core.extensions import limiter


def _account_key() -> str:
    return "account:" + request.form.get("email", "").strip().lower()[:254]


def _per_ip() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def login_throttled(view):
    """Decorate a login (or reset-request) view: POSTs are limited per IP and per email."""
    view = limiter.limit(_per_account, key_func=_account_key, methods=["POST"], scope="login-account")(view)
    return limiter.limit(_per_ip, key_func=get_remote_address, methods=["POST"], scope="login-ip")(view)
