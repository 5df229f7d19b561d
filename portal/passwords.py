"""Public pages reached from emails: set password (invitation), password reset, unsubscribe."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo

from core.catalogs import NOTIFICATIONS_BY_KEY
from core.extensions import csrf
from core.forms import email_field, new_password_field
from core.i18n import _, _l
from core.services import ServiceError
from core.services.contacts import unsubscribe
from core.services.passwords import request_password_reset, set_password_with_token
from core.throttle import login_throttled
from core.tokens import TokenError, load_password_token, load_unsubscribe_token

from . import bp

RESET_REQUESTED = _l(
    "If an account uses this address, we have sent it an email with a link to choose a new password. "
    "The link works for one hour."
)


class ForgotForm(FlaskForm):
    email = email_field()


class NewPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))]
    )


def _no_referrer(response):
    # The token is in the URL: never leak it to another site through the Referer header.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/forgot-password", methods=["GET", "POST"])
@login_throttled
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data)
        flash(str(RESET_REQUESTED), "info")
        return redirect(url_for("portal.login"))
    return render_template("portal/forgot_password.html", form=form)


def _password_page(purpose: str, token: str, title: str):
    form = NewPasswordForm()
    try:
        contact = load_password_token(purpose, token)
    except TokenError as exc:
        page = render_template("token_invalid.html", message=str(exc), title=title)
        return _no_referrer(make_response(page, 400))
    if form.validate_on_submit():
        try:
            set_password_with_token(purpose, token, form.password.data)
        except TokenError as exc:
            page = render_template("token_invalid.html", message=str(exc), title=title)
            return _no_referrer(make_response(page, 400))
        except ServiceError as exc:
            form.password.errors.append(str(exc))
        else:
            flash(_("Your password is set. You can log in now."), "success")
            return redirect(url_for("portal.login"))
    page = render_template("portal/set_password.html", form=form, contact=contact, title=title)
    return _no_referrer(make_response(page))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    return _password_page("invitation", token, _("Choose your password"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _password_page("password_reset", token, _("Choose a new password"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt  # RFC 8058 one-click unsubscribe: mail clients POST without a form token
def unsubscribe_link(token: str):
    try:
        contact, key = load_unsubscribe_token(token)
        notification = NOTIFICATIONS_BY_KEY[key]
    except (TokenError, KeyError):
        page = render_template(
            "token_invalid.html", message=_("This unsubscribe link is not valid."), title=_("Unsubscribe")
        )
        return _no_referrer(make_response(page, 400))
    done = False
    if request.method == "POST":
        unsubscribe(contact, key)
        done = True
    page = render_template("portal/unsubscribe.html", contact=contact, notification=notification, done=done)
    return _no_referrer(make_response(page))
