"""Login throttling with Flask-Limiter: per client IP and per account, never a lockout.

Every bucket belongs to one account or one client address, never to everybody: the password
step and the reset request count per typed email address, the two-factor step per pending
user (kept in the signed session since the password step). A request that names no account
falls back to its client address, so anonymous posts can only slow down their own sender.

Limits are sliding windows, so an attacker who hammers an account only slows it down for a
minute; the real owner is never locked out for good. Storage is in memory by default and
Redis (``RATELIMIT_STORAGE_URI=redis://...``) when several app processes must share counts.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from core.extensions import limiter
from core.loginflow import pending_account


def _account_key() -> str:
    email = request.form.get("email", "").strip().lower()[:254]
    # An empty address names no account: one shared "account:" bucket would let anybody
    # throttle everybody else's empty-or-invalid posts, so it counts per client instead.
    return "account:" + email if email else "client:" + get_remote_address()


def _pending_key() -> str:
    account = pending_account()
    return "pending:" + account if account else "client:" + get_remote_address()


def _per_ip() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def login_throttled(view):
    """Decorate a login (or reset-request) view: POSTs are limited per IP and per email."""
    view = limiter.limit(_per_account, key_func=_account_key, methods=["POST"], scope="login-account")(view)
    return limiter.limit(_per_ip, key_func=get_remote_address, methods=["POST"], scope="login-ip")(view)


def second_step_throttled(view):
    """Decorate a two-factor code view: POSTs are limited per IP and per pending user.

    The pending user is the one whose password was right in this session; its own wrong
    codes slow it down (from any browser), and nobody else's second step is affected.
    """
    view = limiter.limit(_per_account, key_func=_pending_key, methods=["POST"], scope="second-step-user")(view)
    return limiter.limit(_per_ip, key_func=get_remote_address, methods=["POST"], scope="login-ip")(view)


def _credential_key() -> str:
    # A passkey sign-in names its credential, not an address: count per credential id, so one
    # passkey's failures slow down only that passkey (and the client's own address).
    body = request.get_json(silent=True)
    credential = body.get("credential") if isinstance(body, dict) else None
    raw_id = credential.get("rawId") if isinstance(credential, dict) else None
    return "passkey:" + raw_id[:200] if isinstance(raw_id, str) and raw_id else "client:" + get_remote_address()


def passkey_login_throttled(view):
    """Decorate a passkey sign-in view: POSTs are limited per IP (as the password login) and
    per credential (as per account)."""
    view = limiter.limit(_per_account, key_func=_credential_key, methods=["POST"], scope="passkey-credential")(view)
    return limiter.limit(_per_ip, key_func=get_remote_address, methods=["POST"], scope="login-ip")(view)


def passkey_options_throttled(view):
    """Decorate the view handing out sign-in challenges: POSTs are limited per IP (each one
    stores a challenge, so a script must not fill the table)."""
    return limiter.limit(_per_ip, key_func=get_remote_address, methods=["POST"], scope="login-ip")(view)


def _payer_key() -> str:
    # Per logged-in contact (and address): one contact's clicking never slows down another's payment.
    return f"payer:{getattr(current_user, 'id', '')}:{get_remote_address()}"


def pay_throttled(view):
    """Decorate a pay route: at most ``PAY_LIMIT`` requests per contact (each one talks to the
    payment gateway, so a script must not be able to make us flood it)."""
    # One shared budget for every pay route, not one per route.
    return limiter.shared_limit(lambda: current_app.config["PAY_LIMIT"], scope="pay", key_func=_payer_key)(view)
