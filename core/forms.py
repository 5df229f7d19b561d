"""Form pieces shared by both areas."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()


def strong_password(form, field) -> None:
    """WTForms validator: the password rules of ``core.passwords.password_problem``."""
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


def new_password_field(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters.",
            ),
            strong_password,
        ],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = new_password_field()
    confirm = PasswordField(
        "Repeat new password", validators=[DataRequired(), EqualTo("new_password", "The passwords do not match.")]
    )


def name_field(label: str, max_length: int = 80, required: bool = True) -> StringField:
    validators = [Length(max=max_length)]
    if required:
        validators.insert(0, DataRequired())
    return StringField(label, validators=validators)


def email_field(label: str = "Email") -> EmailField:
    return EmailField(label, validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app (or a recovery code)",
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True},
    )


class TwoFactorEnableForm(FlaskForm):
    code = StringField(
        "Code shown by the app",
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code"},
    )


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])
