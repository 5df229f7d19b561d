"""Contact login, logout and own profile."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from core.auth import is_contact
from core.forms import LoginForm, PasswordChangeForm, name_field
from core.security import safe_next
from core.services import ServiceError
from core.services.accounts import authenticate_contact, change_contact_password, end_sessions, update_own_profile

from . import bp

LOGIN_FAILED = "Email or password is not correct."


class ProfileForm(FlaskForm):
    first_name = name_field("First name")
    last_name = name_field("Last name")
    phone = StringField("Phone", validators=[Length(max=40)])


@bp.route("/")
def index():
    if is_contact(current_user):
        return redirect(url_for("portal.dashboard"))
    return redirect(url_for("portal.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        contact = authenticate_contact(form.email.data, form.password.data)
        if contact is not None:
            login_user(contact)
            return redirect(safe_next(form.next.data) or url_for("portal.dashboard"))
        flash(LOGIN_FAILED, "danger")
    return render_template("portal/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if is_contact(current_user):
        end_sessions(current_user)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("portal.login"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    contact = current_user
    form = ProfileForm(obj=contact, prefix="profile")
    password_form = PasswordChangeForm(prefix="password")
    if request.method == "POST" and "profile-first_name" in request.form and form.validate():
        update_own_profile(contact, form.first_name.data, form.last_name.data, form.phone.data)
        flash("Your details are saved.", "success")
        return redirect(url_for("portal.profile"))
    if request.method == "POST" and "password-new_password" in request.form and password_form.validate():
        try:
            change_contact_password(contact, password_form.current_password.data, password_form.new_password.data)
        except ServiceError as exc:
            password_form.current_password.errors.append(str(exc))
        else:
            login_user(contact)  # the token rotated: keep this session, end the others
            flash("Your password is changed.", "success")
            return redirect(url_for("portal.profile"))
    return render_template("portal/profile.html", form=form, password_form=password_form)
