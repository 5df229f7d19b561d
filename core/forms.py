"""Form pieces shared by both areas."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional, ValidationError

from core.i18n import _l
from core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


class CompanyDetailsForm(FlaskForm):
    """A company's contact details, edited by staff (customer form) and by a primary contact."""

    vat_number = StringField(_l("VAT number"), validators=[Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    website = StringField(
        _l("Website"),
        validators=[Optional(), URL(message=_l("Enter a full address such as https://example.com.")), Length(max=200)],
    )
    address = TextAreaField(_l("Address"), validators=[Length(max=500)])
    city = StringField(_l("City"), validators=[Length(max=100)])
    zip_code = StringField(_l("ZIP code"), validators=[Length(max=20)])
    country = StringField(_l("Country"), validators=[Length(max=80)])


def strong_password(form, field) -> None:
    """WTForms validator: the password rules of ``core.passwords.password_problem``."""
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


def new_password_field(label: str | None = None) -> PasswordField:
    return PasswordField(
        _l("New password") if label is None else label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Use between %(min)d and %(max)d characters.", min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH
                ),
            ),
            strong_password,
        ],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    new_password = new_password_field()
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords do not match."))],
    )


def name_field(label: str, max_length: int = 80, required: bool = True) -> StringField:
    validators = [Length(max=max_length)]
    if required:
        validators.insert(0, DataRequired())
    return StringField(label, validators=validators)


def email_field(label: str | None = None) -> EmailField:
    return EmailField(
        _l("Email") if label is None else label,
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )


class CodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app (or a recovery code)"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class TwoFactorEnableForm(FlaskForm):
    code = StringField(
        _l("Code shown by the app"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code"},
    )


class TwoFactorDisableForm(FlaskForm):
    """Turning two-factor login off needs both factors: a stolen password (or an open session)
    alone must not remove the second one."""

    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    code = StringField(
        _l("Code from your authenticator app (or a recovery code)"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text"},
    )


def flash_errors(form: FlaskForm) -> None:
    """Show the first error of each field (the page redirects, so the form is not re-rendered)."""
    for errors in form.errors.values():
        flash(str(errors[0]), "danger")  # a lazy message: the session stores text
