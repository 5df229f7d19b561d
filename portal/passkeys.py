"""Contacts' passkeys: signing in with one from the login page, and the profile's passkey page.

The views and rules are shared with the admin area (``core.passkey_views``,
``core.services.passkeys``); here only the customer area's routes.
"""

from __future__ import annotations

from core import passkey_views as views
from core.loginflow import CONTACT_LOGIN
from core.throttle import passkey_login_throttled, passkey_options_throttled

from . import bp

PAGE = "portal.passkeys"


@bp.route("/login/passkey/options", methods=["POST"])
@passkey_options_throttled
def passkey_login_options():
    return views.login_options(CONTACT_LOGIN)


@bp.route("/login/passkey", methods=["POST"])
@passkey_login_throttled
def passkey_login():
    return views.login(CONTACT_LOGIN)


@bp.route("/profile/passkeys")
def passkeys():
    return views.passkeys_page("portal/passkeys.html", "portal")


@bp.route("/profile/passkeys/options", methods=["POST"])
def passkey_options():
    return views.registration_options()


@bp.route("/profile/passkeys/new", methods=["POST"])
def passkey_register():
    return views.register(PAGE)


@bp.route("/profile/passkeys/<int:passkey_id>/rename", methods=["POST"])
def passkey_rename(passkey_id: int):
    return views.rename(passkey_id, PAGE)


@bp.route("/profile/passkeys/<int:passkey_id>/remove", methods=["POST"])
def passkey_remove(passkey_id: int):
    return views.remove(passkey_id, PAGE)
