"""The end of a login, shared by both areas: a fresh session, then the second factor if any.

After the password is right, a user with two-factor login is not logged in yet: the session
only remembers who is half-way (for five minutes) and where to go next.
"""

from __future__ import annotations

import time

from flask import redirect, session, url_for
from flask_login import login_user

from core.auth import load_user

PENDING = "_2fa_pending"
PENDING_SECONDS = 300


def complete_password_step(user, next_url: str, verify_endpoint: str):
    """Renew the session; log ``user`` in, or send it to ``verify_endpoint`` for its code."""
    session.clear()  # a fresh session at login: nothing set before it survives (fixation)
    if user.totp_secret:
        session[PENDING] = {"id": user.get_id(), "next": next_url, "at": int(time.time())}
        return redirect(url_for(verify_endpoint))
    login_user(user)
    return redirect(next_url)


def _pending() -> dict | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return pending


def pending_user():
    """The user half-way through a two-factor login, or None (none, expired or changed)."""
    pending = _pending()
    return None if pending is None else load_user(str(pending.get("id", "")))


def pending_account() -> str | None:
    """``"contact:<id>"`` or ``"staff:<id>"`` of the user half-way through a two-factor login, or None.

    Read from the signed session without a database query, and without the session token
    that ``get_id`` carries (this ends up in rate-limit storage keys).
    """
    pending = _pending()
    kind, _sep, rest = str((pending or {}).get("id", "")).partition(":")
    pk = rest.split(":", 1)[0]
    return f"{kind}:{pk}" if kind and pk.isdigit() else None


def complete_second_step(user):
    """Log ``user`` in after a correct code; returns the redirect to where it was going."""
    next_url = session.get(PENDING, {}).get("next") or "/"
    session.clear()
    login_user(user)
    return redirect(next_url)
