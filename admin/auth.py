"""Staff login and logout."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from core import twofactor
from core.auth import is_staff
from core.forms import CodeForm, LoginForm
from core.i18n import _
from core.loginflow import complete_password_step, complete_second_step, pending_user
from core.security import safe_next
from core.services.accounts import authenticate_staff, end_sessions
from core.throttle import login_throttled, second_step_throttled
from core.twofactor_views import disable_action, setup_page

from . import bp


@bp.route("/login", methods=["GET", "POST"])
@login_throttled
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        staff = authenticate_staff(form.email.data, form.password.data)
        if staff is not None:
            next_url = safe_next(form.next.data) or url_for("admin.customers")
            return complete_password_step(staff, next_url, "admin.login_verify")
        flash(_("Email or password is not correct."), "danger")
    return render_template("admin/login.html", form=form)


@bp.route("/login/verify", methods=["GET", "POST"])
@second_step_throttled
def login_verify():
    staff = pending_user()
    if not is_staff(staff):
        flash(_("Please log in again."), "info")
        return redirect(url_for("admin.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if twofactor.verify(staff, form.code.data):
            return complete_second_step(staff)
        form.code.errors.append(_("That code is not right."))
    return render_template("admin/login_verify.html", form=form)


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
