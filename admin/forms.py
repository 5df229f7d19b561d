"""Admin forms. The contact form's checkboxes come from the catalogs (``core.forms.AccessFields``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from core.banking import bic_problem, compact, iban_problem
from core.forms import AccessFields, CompanyDetailsForm, PermissionFields, email_field, name_field, new_password_field
from core.i18n import LANGUAGES, _, _l
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


# How the contact gets (or keeps) its password: one choice, so a typed password and an invitation
# never contradict each other. "password" is the only choice that reads the password field.
NEW_CONTACT_ACCESS = (
    SelectChoice("invite", _l("Email an invitation to set a password")),
    SelectChoice("password", _l("Set a password now")),
    SelectChoice("later", _l("Email nothing yet (send the invitation later from the contacts list)")),
)
EXISTING_CONTACT_ACCESS = (
    SelectChoice("keep", _l("Leave the password as it is")),
    SelectChoice("invite", _l("Email a link to choose a new password")),
    SelectChoice("password", _l("Set a new password")),
)


class ContactForm(AccessFields):
    """Staff's contact form; ``existing=True`` for editing a contact (other access choices)."""

    first_name = name_field(_l("First name"))
    last_name = name_field(_l("Last name"))
    email = email_field()
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    position = StringField(_l("Position"), validators=[Length(max=80)])
    access = RadioField(_l("How does this contact get access?"), choices=NEW_CONTACT_ACCESS, default="invite")
    password = new_password_field(_l("Password"), required=False)
    is_primary = BooleanField(_l("Primary Contact"))
    active = BooleanField(_l("Active"), default=True)
    # The language of the contact's pages, invitation and emails; an unsupported code is refused.
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()], default="en"
    )
    version = IntegerField(validators=[Optional()])

    def __init__(self, *args, existing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if existing:
            self.access.choices = list(EXISTING_CONTACT_ACCESS)
            if not self.access.raw_data:  # a GET, or a post without the choice: change nothing
                self.access.data = "keep"
        # Shown under the field and tied to it (aria-describedby) by the ``field`` macro.
        self.password.description = _("Used only with “%(choice)s”.", choice=self.password_choice)
        if existing:
            self.password.description += " " + _(
                "Setting a password logs the contact out everywhere and tells it by email."
            )

    @property
    def password_choice(self) -> str:
        """The label of the one choice that reads the password field."""
        return next(choice.label for choice in self.access.choices if choice.value == "password")

    @property
    def invite(self) -> bool:
        """True when the contact is to be emailed a link to choose its password."""
        return self.access.data == "invite"

    def validate(self, extra_validators=None) -> bool:
        """The password counts only with "set a password": then it is required and held to the
        password rules; with any other choice whatever the field holds is dropped unread (a
        browser without script still shows the field)."""
        if self.access.data != "password":
            self.password.data = ""
            self.password.raw_data = []
        valid = super().validate(extra_validators)
        if self.access.data == "password" and not self.password.data and not self.password.errors:
            self.password.errors = [_("Type the password to set, or choose another option.")]
            valid = False
        return valid


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
