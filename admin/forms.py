"""Admin forms. The contact form's checkboxes are generated from the two catalogs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, Regexp

from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.forms import email_field, name_field, strong_password
from core.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from core.services.reminders import REMINDER_SETTINGS


class CustomerForm(FlaskForm):
    company = name_field("Company", 160)
    vat_number = StringField("VAT number", validators=[Length(max=40)])
    phone = StringField("Phone", validators=[Length(max=40)])
    website = StringField(
        "Website",
        validators=[Optional(), URL(message="Enter a full address such as https://example.com."), Length(max=200)],
    )
    address = TextAreaField("Address", validators=[Length(max=500)])
    city = StringField("City", validators=[Length(max=100)])
    zip_code = StringField("ZIP code", validators=[Length(max=20)])
    country = StringField("Country", validators=[Length(max=80)])
    currency = StringField(
        "Currency", default="EUR", validators=[Regexp(r"^[A-Z]{3}$", message="Use a three-letter code such as EUR.")]
    )
    active = BooleanField("Active", default=True)
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
    first_name = name_field("First name")
    last_name = name_field("Last name")
    email = email_field()
    phone = StringField("Phone", validators=[Length(max=40)])
    position = StringField("Position", validators=[Length(max=80)])
    password = PasswordField(
        "Password",
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=f"Use between {MIN_PASSWORD_LENGTH} and {MAX_PASSWORD_LENGTH} characters.",
            ),
            strong_password,
        ],
    )
    send_invitation = BooleanField("Send an invitation email to choose a password")
    is_primary = BooleanField("Primary Contact")
    active = BooleanField("Active", default=True)
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
