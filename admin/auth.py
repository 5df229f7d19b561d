"""Staff login and logout."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from core.auth import is_staff
from core.forms import LoginForm
from core.security import safe_next
from core.services.accounts import authenticate_staff, end_sessions

from . import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        staff = authenticate_staff(form.email.data, form.password.data)
        if staff is not None:
            login_user(staff)
            return redirect(safe_next(form.next.data) or url_for("admin.customers"))
        flash("Email or password is not correct.", "danger")
    return render_template("admin/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if is_staff(current_user):
        end_sessions(current_user)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("admin.login"))
