"""Admin forms. The contact form's checkboxes come from the catalogs (``core.forms.AccessFields``)."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from core.forms import AccessFields, CompanyDetailsForm, PermissionFields, email_field, name_field, new_password_field
from core.i18n import LANGUAGES, _l
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


class ContactForm(AccessFields):
    first_name = name_field(_l("First name"))
    last_name = name_field(_l("Last name"))
    email = email_field()
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    position = StringField(_l("Position"), validators=[Length(max=80)])
    password = new_password_field(_l("Password"), required=False)
    send_invitation = BooleanField(_l("Send an invitation email to choose a password"))
    is_primary = BooleanField(_l("Primary Contact"))
    active = BooleanField(_l("Active"), default=True)
    # The language of the contact's pages, invitation and emails; an unsupported code is refused.
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()], default="en"
    )
    version = IntegerField(validators=[Optional()])


class DefaultPermissionsForm(PermissionFields):
    """The permissions a new contact gets, and the reminder settings."""


for _key, (_default, _label) in REMINDER_SETTINGS.items():
    setattr(
        DefaultPermissionsForm,
        _key,
        IntegerField(_label, default=_default, validators=[InputRequired(), NumberRange(min=0, max=365)]),
    )
