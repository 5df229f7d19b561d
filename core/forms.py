"""Form pieces shared by both areas."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, EqualTo, Length, Optional, ValidationError

from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.i18n import _, _l, lazy_ngettext, ngettext
from core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from core.services.comments import MAX_ATTACHMENTS


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


class PermissionFields(FlaskForm):
    """One checkbox per permission (``perm_<key>``), generated from the catalog: staff's default
    permissions and, with ``AccessFields``, every contact access form."""

    def permissions(self) -> set[str]:
        return {p.key for p in PERMISSIONS if self[f"perm_{p.key}"].data}


class AccessFields(PermissionFields):
    """The permission checkboxes plus one per notification (``notify_<key>``): staff's contact
    form and a primary contact's colleague forms."""

    def notifications(self) -> set[str]:
        return {n.key for n in NOTIFICATIONS if self[f"notify_{n.key}"].data}

    def fill_access(self, permissions, notifications) -> None:
        """Check the boxes of ``permissions`` and ``notifications``, clear the others."""
        for p in PERMISSIONS:
            self[f"perm_{p.key}"].data = p.key in permissions
        for n in NOTIFICATIONS:
            self[f"notify_{n.key}"].data = n.key in notifications


for _p in PERMISSIONS:
    setattr(PermissionFields, f"perm_{_p.key}", BooleanField(_p.label, description=_p.description))
for _n in NOTIFICATIONS:
    setattr(AccessFields, f"notify_{_n.key}", BooleanField(_n.label, description=_n.description))


class CustomerEmailChoice:
    """For a staff form whose save emails the customer: the ``skip_email`` checkbox that leaves
    the email out for this save (the change itself is saved either way).

    The box says "skip", not "send", so that a post without it (a script, an older page) emails
    as before; the page names who will be emailed beside it (the ``customer_email`` macro).
    """

    skip_email = BooleanField(_l("Don't email the customer about this"))

    @property
    def emails_customer(self) -> bool:
        """False when staff ticked the box to skip the customer's email for this save."""
        return not self.skip_email.data


def flash_errors(form: FlaskForm, template: str | None = None) -> None:
    """Flash the first error of each field, where the page redirects instead of showing the form
    again. ``template`` (a message with ``%(error)s``) frames each one; an error that is not a
    message (a nested field's) becomes "Check the form."."""
    for errors in form.errors.values():
        first = errors[0] if isinstance(errors, list | tuple) and errors else None
        # A lazy message must become text: the session stores what is flashed.
        error = str(first) if isinstance(first, str | LazyString) else _("Check the form.")
        flash(template % {"error": error} if template else error, "danger")


def strong_password(form, field) -> None:
    """WTForms validator: the password rules of ``core.passwords.password_problem``."""
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


def new_password_field(label: str | None = None, *, required: bool = True) -> PasswordField:
    """A password field held to the password rules; ``required=False`` lets it stay empty
    (staff editing a contact leave the password as it is)."""
    return PasswordField(
        _l("New password") if label is None else label,
        validators=[
            DataRequired() if required else Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=lazy_ngettext(
                    "Use between %(min)d and %(max)d character.",
                    "Use between %(min)d and %(max)d characters.",
                    MAX_PASSWORD_LENGTH,
                    min=MIN_PASSWORD_LENGTH,
                    max=MAX_PASSWORD_LENGTH,
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


class PasskeyNameForm(FlaskForm):
    """A passkey's name (rename); adding one posts its name with the ceremony's JSON."""

    name = name_field(_l("Passkey name"))


def attachments_field() -> MultipleFileField:
    """The file input of a ticket message or reply; its label says how many files it takes, in
    the plural form that number needs."""
    label = lazy_ngettext(
        "Attachments (up to %(max)d file)", "Attachments (up to %(max)d files)", MAX_ATTACHMENTS, max=MAX_ATTACHMENTS
    )
    return MultipleFileField(label)


class CountedLength(Length):
    """WTForms' ``Length``, with a message made when it fails from ``min``, ``max`` and the
    text's ``length`` (``message(min=..., max=..., length=...)``), so it can choose the plural
    form those numbers need; the field keeps its ``maxlength``/``minlength`` attributes."""

    def __init__(self, min: int = -1, max: int = -1, *, message: Callable[..., str]) -> None:
        super().__init__(min=min, max=max)
        self.describe = message

    def __call__(self, form, field) -> None:
        length = len(field.data) if field.data else 0
        if length < self.min or (self.max != -1 and length > self.max):
            raise ValidationError(self.describe(min=self.min, max=self.max, length=length))


def too_long_message(*, max: int, length: int, **_limits) -> str:
    """ "Use at most N characters; this has M.", for ``CountedLength(max=N, message=...)``."""
    return ngettext(
        "Use at most %(max)d character; this has %(length)d.",
        "Use at most %(max)d characters; this has %(length)d.",
        max,
        max=max,
        length=length,
    )
