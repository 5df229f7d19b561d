"""Admin forms. The contact form's checkboxes are generated from the two catalogs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.forms import CompanyDetailsForm, email_field, name_field, strong_password
from core.i18n import LANGUAGES, _l
from core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from core.services.reminders import REMINDER_SETTINGS


class CustomerForm(CompanyDetailsForm):
    company = name_field(_l("Company"), 160)
    currency = StringField(
        _l("Currency"),
        default="EUR",
        validators=[Regexp(r"^[A-Z]{3}$", message=_l("Use a three-letter code such as EUR."))],
    )
    active = BooleanField(_l("Active"), default=True)
    version = HiddenField()

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "company",
                "vat_number",
                "phone",
                "website",
                "address",
                "city",
                "zip_code",
                "country",
                "currency",
                "active",
            )
        }


class ContactForm(FlaskForm):
    first_name = name_field(_l("First name"))
    last_name = name_field(_l("Last name"))
    email = email_field()
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    position = StringField(_l("Position"), validators=[Length(max=80)])
    password = PasswordField(
        _l("Password"),
        validators=[
            Optional(),
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
    send_invitation = BooleanField(_l("Send an invitation email to choose a password"))
    is_primary = BooleanField(_l("Primary Contact"))
    active = BooleanField(_l("Active"), default=True)
    # The language of the contact's pages, invitation and emails; an unsupported code is refused.
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()], default="en"
    )
    version = IntegerField(validators=[Optional()])

    def permissions(self) -> set[str]:
        return {p.key for p in PERMISSIONS if self[f"perm_{p.key}"].data}

    def notifications(self) -> set[str]:
        return {n.key for n in NOTIFICATIONS if self[f"notify_{n.key}"].data}

    def fill_catalog_fields(self, permissions, notifications) -> None:
        for p in PERMISSIONS:
            self[f"perm_{p.key}"].data = p.key in permissions
        for n in NOTIFICATIONS:
            self[f"notify_{n.key}"].data = n.key in notifications


for _p in PERMISSIONS:
    setattr(ContactForm, f"perm_{_p.key}", BooleanField(_p.label, description=_p.description))
for _n in NOTIFICATIONS:
    setattr(ContactForm, f"notify_{_n.key}", BooleanField(_n.label, description=_n.description))


class DefaultPermissionsForm(FlaskForm):
    def permissions(self) -> set[str]:
        return {p.key for p in PERMISSIONS if self[f"perm_{p.key}"].data}


for _p in PERMISSIONS:
    setattr(DefaultPermissionsForm, f"perm_{_p.key}", BooleanField(_p.label))
for _key, (_default, _label) in REMINDER_SETTINGS.items():
    setattr(
        DefaultPermissionsForm,
        _key,
        IntegerField(_label, default=_default, validators=[InputRequired(), NumberRange(min=0, max=365)]),
    )
