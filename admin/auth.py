"""Staff login and logout."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user, logout_user

from core import passkey_views
from core.auth import is_staff
from core.i18n import _
from core.loginflow import STAFF_LOGIN, code_page, password_page
from core.services.accounts import end_sessions
from core.throttle import login_throttled, passkey_login_throttled, passkey_options_throttled, second_step_throttled
from core.twofactor_views import disable_action, setup_page

from . import bp


@bp.route("/login", methods=["GET", "POST"])
@login_throttled
def login():
    return password_page(STAFF_LOGIN)


@bp.route("/login/verify", methods=["GET", "POST"])
@second_step_throttled
def login_verify():
    return code_page(STAFF_LOGIN)


@bp.route("/logout", methods=["POST"])
def logout():
    if is_staff(current_user):
        end_sessions(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("admin.login"))


@bp.route("/account/two-factor", methods=["GET", "POST"], defaults={"action": None})
@bp.route("/account/two-factor/<any(disable):action>", methods=["POST"])
def two_factor(action):
    if action == "disable":
        return disable_action("admin.two_factor")
    return setup_page("admin.two_factor", "admin/two_factor.html")


@bp.route("/login/passkey/options", methods=["POST"])
@passkey_options_throttled
def passkey_login_options():
    return passkey_views.login_options(STAFF_LOGIN)


@bp.route("/login/passkey", methods=["POST"])
@passkey_login_throttled
def passkey_login():
    return passkey_views.login(STAFF_LOGIN)


@bp.route("/account/passkeys")
def passkeys():
    return passkey_views.passkeys_page("admin/passkeys.html", "admin")


@bp.route("/account/passkeys/options", methods=["POST"])
def passkey_options():
    return passkey_views.registration_options()


@bp.route("/account/passkeys/new", methods=["POST"])
def passkey_register():
    return passkey_views.register("admin.passkeys")


@bp.route("/account/passkeys/<int:passkey_id>/rename", methods=["POST"])
def passkey_rename(passkey_id: int):
    return passkey_views.rename(passkey_id, "admin.passkeys")


@bp.route("/account/passkeys/<int:passkey_id>/remove", methods=["POST"])
def passkey_remove(passkey_id: int):
    return passkey_views.remove(passkey_id, "admin.passkeys")
