"""Admin forms. The contact form's checkboxes come from the catalogs (``core.forms.AccessFields``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from core.banking import bic_problem, compact, iban_problem
from core.forms import AccessFields, CompanyDetailsForm, PermissionFields, email_field, name_field, new_password_field
from core.i18n import LANGUAGES, _l
from core.services.bank_details import BankDetails
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


def _one_line(value: str | None) -> str:
    """Runs of whitespace (line breaks included) as one space: the EPC code is line-based."""
    return " ".join((value or "").split())


def _valid_iban(form, field) -> None:
    if field.data and (problem := iban_problem(field.data)):
        raise ValidationError(problem)


def _valid_bic(form, field) -> None:
    if field.data and (problem := bic_problem(field.data)):
        raise ValidationError(problem)


class BankDetailsFields(FlaskForm):
    """The company's account for bank transfers (``core.services.bank_details``): the IBAN and
    BIC are stored compact and in capitals, whatever spacing and case staff typed; an IBAN
    needs an account holder (the GiroCode names the recipient). Empty IBAN: no bank transfer."""

    bank_account_holder = StringField(
        _l("Account holder"),
        filters=[_one_line],
        validators=[Length(max=70)],
        description=_l("The name on the account as your bank has it (at most 70 characters)."),
    )
    bank_iban = StringField(
        _l("IBAN"),
        filters=[compact],
        validators=[_valid_iban],
        description=_l("Leave empty to show no bank details. Spaces are allowed."),
    )
    bank_bic = StringField(_l("BIC"), filters=[compact], validators=[_valid_bic])

    def validate_bank_account_holder(self, field) -> None:
        if self.bank_iban.data and not field.data:
            raise ValidationError(_l("Enter the account holder: banking apps show it as the recipient."))

    def bank_details(self) -> BankDetails:
        """The posted details, normalised (call after a successful ``validate``)."""
        return BankDetails(self.bank_account_holder.data, self.bank_iban.data, self.bank_bic.data)
