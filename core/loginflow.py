"""The login of both areas, one flow: the password step, a fresh session, then the second
factor if any. Each area names what differs in a ``LoginArea`` and routes its two login URLs
(with their throttles) to ``password_page`` and ``code_page``; both render ``login.html``.

After the password is right, a user with two-factor login is not logged in yet: the session
only remembers who is half-way (for five minutes) and where to go next.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import login_user

from core import twofactor
from core.auth import is_contact, is_staff, load_user
from core.forms import CodeForm, LoginForm
from core.i18n import _, _l
from core.security import safe_next
from core.services.accounts import authenticate_contact, authenticate_staff
from core.services.sign_in_links import sign_in_links_enabled

PENDING = "_2fa_pending"
PENDING_SECONDS = 300


def complete_login(user) -> None:
    """Log ``user`` in on a fresh session: nothing set before it survives (fixation), a
    half-done login or passkey ceremony included. Every way of logging in ends here."""
    session.clear()
    login_user(user)


def complete_password_step(user, next_url: str, verify_endpoint: str):
    """Renew the session; log ``user`` in, or send it to ``verify_endpoint`` for its code."""
    if user.totp_secret:
        session.clear()  # a fresh session at login: nothing set before it survives (fixation)
        session[PENDING] = {"id": user.get_id(), "next": next_url, "at": int(time.time())}
        return redirect(url_for(verify_endpoint))
    complete_login(user)
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
    complete_login(user)
    return redirect(next_url)


def complete_passkey_login(user, area: LoginArea, next_path: str) -> str:
    """Log ``user`` in after a verified passkey (no code asked: the passkey is both factors);
    returns where to go: ``next_path`` if ``safe_next`` accepts it, else the area's start page."""
    complete_login(user)
    return safe_next(next_path) or url_for(area.start_endpoint)


@dataclass(frozen=True)
class LoginArea:
    """What differs between the admin's and the customer area's login."""

    blueprint: str  # "admin" or "portal": its endpoints "<blueprint>.login" and ".login_verify"
    authenticate: Callable[[str, str], object]  # email, password -> the user, or None
    is_user: Callable[[object], bool]  # the user is one of this area's (staff or contact)
    start_endpoint: str  # where a login without a "next" address goes
    title: str  # the page title (lazy)
    heading: str  # the page heading (lazy)
    forgot_endpoint: str | None = None  # the "forgot your password?" page, if the area has one
    sign_in_link_endpoint: str | None = None  # the "email me a sign-in link" request, if any


# Blueprint, authenticate, is_user, start endpoint, title, heading, forgot-password endpoint,
# sign-in link request endpoint.
STAFF_LOGIN = LoginArea(
    "admin",
    authenticate_staff,
    is_staff,
    "admin.customers",
    _l("Staff login"),
    _l("Staff login"),
    sign_in_link_endpoint="admin.request_sign_in_link",
)
CONTACT_LOGIN = LoginArea(
    "portal",
    authenticate_contact,
    is_contact,
    "portal.dashboard",
    _l("Log in"),
    _l("Log in to the customer area"),
    "portal.forgot_password",
    "portal.request_sign_in_link",
)


def _login_page(area: LoginArea, form, **texts):
    return render_template("login.html", form=form, layout=f"{area.blueprint}/layout.html", **texts)


def login_hint() -> str:
    """The address a notification email's link names (``login_hint``), to fill in; else "".

    Only echoed back, never looked up, so the page is the same whether or not it has an account.
    """
    hint = request.args.get("login_hint", "").strip()
    return hint if len(hint) <= 254 and "@" in hint else ""


def _sign_in_link_texts(area: LoginArea, next_url: str) -> dict:
    """What the login page needs for its "Email me a sign-in link" button (nothing when off)."""
    if area.sign_in_link_endpoint is None or not sign_in_links_enabled():
        return {}
    return {
        "sign_in_link_url": url_for(area.sign_in_link_endpoint),
        "sign_in_link_page": url_for(area.sign_in_link_endpoint, next=next_url or None),
        "login_hint": login_hint(),
    }


def password_page(area: LoginArea):
    """The login page and its POST: a right password logs in (or asks for the code next)."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        form.email.data = login_hint()
    if form.validate_on_submit():
        user = area.authenticate(form.email.data, form.password.data)
        if user is not None:
            next_url = safe_next(form.next.data) or url_for(area.start_endpoint)
            return complete_password_step(user, next_url, f"{area.blueprint}.login_verify")
        flash(_("Email or password is not correct."), "danger")
    forgot_url = url_for(area.forgot_endpoint) if area.forgot_endpoint else None
    links = _sign_in_link_texts(area, safe_next(form.next.data) or "")
    passkeys = _passkey_texts(area, safe_next(form.next.data) or "")
    return _login_page(area, form, title=area.title, heading=area.heading, forgot_url=forgot_url, **links, **passkeys)


def _passkey_texts(area: LoginArea, next_url: str) -> dict:
    """What the login page needs for its "Sign in with a passkey" button (static/js/passkeys.js)."""
    return {
        "passkey_login": {
            "options_url": url_for(f"{area.blueprint}.passkey_login_options"),
            "login_url": url_for(f"{area.blueprint}.passkey_login"),
            "next": next_url,
        }
    }


def code_page(area: LoginArea):
    """The second step: the code of the user half-way through logging in to this area."""
    user = pending_user()
    if not area.is_user(user):
        flash(_("Please log in again."), "info")
        return redirect(url_for(f"{area.blueprint}.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if twofactor.verify(user, form.code.data):
            return complete_second_step(user)
        form.code.errors.append(_("That code is not right."))
    title = _("Enter your code")
    return _login_page(area, form, title=title, heading=title)
