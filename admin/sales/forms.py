"""Forms of the sales documents. Line items are a fixed set of rows; blank rows are ignored,
so adding lines needs no JavaScript."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString, format_decimal
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from core.extensions import db
from core.forms import CountedLength, CustomerEmailChoice, too_long_message
from core.i18n import _, _l, ngettext
from core.models import Customer, Invoice, Project
from core.services.documents import ContractData, LineData, ProposalData, SalesData
from core.services.documents.common import MAX_AMOUNT, MAX_CONTENT, MAX_ID, MAX_NOTES, MAX_SUBJECT
from core.services.documents.sales import MAX_DESCRIPTION, MAX_LINES, MAX_QUANTITY, MAX_UNIT_PRICE

LINE_ROWS = 10  # blank rows offered on a new document
SPARE_ROWS = 3  # blank rows offered below the existing lines when editing


def optional_id(value) -> int | None:
    """A select's value as a database id or None; junk raises ValueError, which the field reports."""
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError("not an id")
    return number


class IdSelectField(SelectField):
    """A select of ids whose choice the service checks, so a refusal is explained in words
    (e.g. "the project belongs to another customer") instead of "Not a valid choice"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", optional_id)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("Choose one of the listed options.")) from exc


class AmountField(DecimalField):
    """A decimal number; "NaN", "Infinity" and text are refused with a message, never an error."""

    def process_formdata(self, valuelist) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not raw:
            return
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise ValueError(_("Enter a number, e.g. 12.50.")) from exc
        if not value.is_finite():
            raise ValueError(_("Enter a number, e.g. 12.50."))
        self.data = value


def _max_length(limit: int) -> Length:
    return CountedLength(max=limit, message=too_long_message)


def description_too_long(*, max: int, length: int, **_limits) -> str:
    """A line item's description is over ``max`` characters (``CountedLength``'s message)."""
    return ngettext(
        "Use at most %(max)d character; this description has %(length)d.",
        "Use at most %(max)d characters; this description has %(length)d.",
        max,
        max=max,
        length=length,
    )


def _range(low, high) -> NumberRange:
    low, high = Decimal(low), Decimal(high)
    # Formatted when shown, so the numbers follow the reader's locale (1,000 / 1.000).
    message = LazyString(
        lambda: _("Enter a number from %(low)s to %(high)s.", low=format_decimal(low), high=format_decimal(high))
    )
    return NumberRange(min=low, max=high, message=message)


class LineList(FieldList):
    """A FieldList that ignores posted row names whose index is not a small ASCII number.

    WTForms accepts any ``str.isdigit()`` index (``"²"`` or 5,000 nines) and then fails in
    ``int()``; a forged field name must never turn into a 500.
    """

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix + "-"):
                index = key[offset:].split("-", 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 4:
                    yield int(index)


class LineItemForm(Form):
    description = StringField(
        _l("Description"),
        validators=[CountedLength(max=MAX_DESCRIPTION, message=description_too_long)],
    )
    quantity = AmountField(_l("Quantity"), validators=[Optional(), _range(Decimal("0.01"), MAX_QUANTITY)])
    unit_price = AmountField(_l("Unit price"), validators=[Optional(), _range(0, MAX_UNIT_PRICE)])
    tax_rate = AmountField(_l("Tax %"), validators=[Optional(), _range(0, 100)])

    def is_blank(self) -> bool:
        """Nothing typed in this row: it is ignored."""
        return not any(value.strip() for f in self for value in (f.raw_data or ()))

    def validate(self, extra_validators=None) -> bool:
        if self.is_blank():
            return True
        valid = super().validate(extra_validators)
        if not (self.description.data or "").strip():
            self.description.errors.append(_("Enter a description."))
            valid = False
        if self.unit_price.data is None and not self.unit_price.errors:
            self.unit_price.errors.append(_("Enter a unit price."))
            valid = False
        return valid

    def line(self) -> LineData:
        """The row for the service; an empty quantity means 1, an empty tax 0."""
        return LineData(
            description=self.description.data or "",
            quantity=self.quantity.data if self.quantity.data is not None else Decimal("1"),
            unit_price=self.unit_price.data,
            tax_rate=self.tax_rate.data or Decimal("0"),
        )


class DocumentForm(FlaskForm):
    """What every document form has: the customer (new documents only), a project, a currency."""

    customer = IdSelectField(_l("Customer"), validate_choice=True, validators=[InputRequired(_l("Choose a customer."))])
    project = IdSelectField(_l("Project"))
    currency = StringField(
        _l("Currency"),
        validators=[Optional(), Regexp(r"^[A-Za-z]{3}$", message=_l("Use a three-letter code such as EUR."))],
        description=_l("Empty: the customer's currency."),
    )
    form_token = HiddenField()

    def start(self, customer: Customer | None) -> None:
        """Prepare a new form: a one-time token against double submits, the customer's defaults."""
        self.form_token.data = secrets.token_hex(16)
        if customer is not None and "customer" in self:
            self.customer.data = customer.id
            self.currency.data = customer.currency


class SalesForm(DocumentForm):
    date = DateField(_l("Date"), default=date.today, validators=[InputRequired(_l("Enter a date."))])
    status = SelectField(_l("Status"))
    discount = AmountField(_l("Discount"), validators=[Optional(), _range(0, MAX_AMOUNT)])
    notes = TextAreaField(_l("Notes"), validators=[_max_length(MAX_NOTES)])
    lines = LineList(FormField(LineItemForm), min_entries=LINE_ROWS, max_entries=MAX_LINES)

    def validate_lines(self, field) -> None:
        """At least one row must be filled in (the service checks the same)."""
        if all(entry.form.is_blank() for entry in field.entries):
            raise ValidationError(_("Add at least one line item with a description and a unit price."))

    def line_errors(self) -> list[str]:
        """The messages about the lines as a whole (row errors are shown on their rows)."""
        return [e for e in self.lines.errors if isinstance(e, str)]

    def sales_data(self) -> SalesData:
        """The entered values for the service; blank rows are left out."""
        optional = {name: self[name].data for name in ("due_date", "expiry_date") if name in self}
        if "invoice" in self:
            optional["invoice_id"] = self.invoice.data
        return SalesData(
            date=self.date.data,
            status=self.status.data,
            lines=[entry.form.line() for entry in self.lines if not entry.form.is_blank()],
            currency=self.currency.data or "",
            discount=self.discount.data,
            notes=self.notes.data or "",
            project_id=self.project.data,
            form_token=self.form_token.data,
            **optional,
        )


class InvoiceForm(SalesForm):
    due_date = DateField(_l("Due date"), validators=[Optional()])


class CreditNoteForm(SalesForm):
    invoice = IdSelectField(_l("Credits invoice"))


class EstimateForm(SalesForm):
    expiry_date = DateField(_l("Valid until"), validators=[Optional()])


SALES_FORMS = {"invoice": InvoiceForm, "credit_note": CreditNoteForm, "estimate": EstimateForm}


def sales_form_data(document) -> dict:
    """A document's values in the shape its form expects (for the edit page)."""
    data = {
        "project": document.project_id,
        "date": document.date,
        "status": document.status,
        "currency": document.currency,
        "discount": document.discount,
        "notes": document.notes,
        "lines": [
            {"description": i.description, "quantity": i.quantity, "unit_price": i.unit_price, "tax_rate": i.tax_rate}
            for i in document.items
        ],
    }
    for name in ("due_date", "expiry_date"):
        if hasattr(document, name):
            data[name] = getattr(document, name)
    if hasattr(document, "invoice_id"):
        data["invoice"] = document.invoice_id
    return data


def pad_lines(form: SalesForm, existing: int) -> None:
    """Offer a few blank rows below the ``existing`` lines (at least ``LINE_ROWS`` rows in all)."""
    wanted = min(max(LINE_ROWS, existing + SPARE_ROWS), MAX_LINES)
    while len(form.lines) < wanted:
        form.lines.append_entry()


class AgreementForm(DocumentForm):
    """A proposal's or contract's form: a subject, free text, one amount and dates."""

    DATA: type  # the service's dataclass the entered values fill
    FIELDS: tuple[str, ...]  # the fields named like the document's columns and the dataclass's fields

    subject = StringField(_l("Subject"), validators=[InputRequired(_l("Enter a subject.")), _max_length(MAX_SUBJECT)])
    content = TextAreaField(_l("Content"), validators=[_max_length(MAX_CONTENT)])

    def agreement_data(self):
        """The entered values for the service, as a ``DATA`` (texts never None)."""
        values = {name: self[name].data for name in self.FIELDS}
        values["subject"], values["content"] = values["subject"] or "", values["content"] or ""
        return self.DATA(
            **values,
            currency=self.currency.data or "",
            project_id=self.project.data,
            form_token=self.form_token.data,
        )


class ProposalForm(AgreementForm):
    DATA = ProposalData
    FIELDS = ("subject", "content", "total", "date", "open_till", "status")

    total = AmountField(_l("Total"), validators=[Optional(), _range(0, MAX_AMOUNT)])
    date = DateField(_l("Date"), default=date.today, validators=[InputRequired(_l("Enter a date."))])
    open_till = DateField(_l("Open till"), validators=[Optional()])
    status = SelectField(_l("Status"))


class ContractForm(AgreementForm):
    DATA = ContractData
    FIELDS = ("subject", "content", "value", "start_date", "end_date")

    value = AmountField(_l("Contract value"), validators=[Optional(), _range(0, MAX_AMOUNT)])
    start_date = DateField(_l("Start date"), default=date.today, validators=[InputRequired(_l("Enter a start date."))])
    end_date = DateField(_l("End date"), validators=[Optional()])


class ProposalCommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[InputRequired(_l("Write a comment.")), _max_length(MAX_NOTES)])


class ContactChoiceField(SelectMultipleField):
    def pre_validate(self, form) -> None:
        # No choice check here: send_document checks every id against the customer's active
        # contacts, whatever was posted, and says so in words.
        return None


class SendForm(FlaskForm):
    recipients = ContactChoiceField(
        _l("Recipients"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    cc = StringField(_l("CC"), validators=[Optional(), Length(max=1000)], description=_l("Optional, comma separated"))
    attach_pdf = BooleanField(_l("Attach PDF"), default=True)


class PaymentForm(CustomerEmailChoice, FlaskForm):
    amount = AmountField(
        _l("Amount"), places=2, validators=[InputRequired(_l("Enter the amount.")), _range("0.01", MAX_AMOUNT)]
    )
    paid_on = DateField(_l("Date"), default=date.today, validators=[InputRequired(_l("Enter the date."))])
    method = StringField(_l("Method"), default=lambda: _("Bank transfer"), validators=[Length(max=40)])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: delete and convert need nothing else."""


def fill_choices(form: DocumentForm, customer_id: int | None) -> None:
    """The selects' options: all customers; the projects (and invoices) of ``customer_id``,
    or of every customer, labelled with the company, when no customer is chosen yet."""
    companies = dict(db.session.execute(select(Customer.id, Customer.company)).all())
    if "customer" in form:
        rows = db.session.execute(select(Customer.id, Customer.company, Customer.active).order_by(Customer.company))
        form.customer.choices = [SelectChoice("", _("Choose a customer"))] + [
            SelectChoice(cid, company if active else _("%(company)s (inactive)", company=company))
            for cid, company, active in rows
        ]
    scope = customer_id if customer_id in companies else None

    def options(model, label_column, order):
        stmt = select(model.id, model.customer_id, label_column).order_by(*order)
        if scope is not None:
            stmt = stmt.where(model.customer_id == scope)
        return [
            SelectChoice(oid, label if scope is not None else f"{companies.get(cid, '?')} · {label}")
            for oid, cid, label in db.session.execute(stmt.limit(500))
        ]

    form.project.choices = [SelectChoice("", _("No project"))] + options(
        Project, Project.name, (Project.name, Project.id)
    )
    if "invoice" in form:
        form.invoice.choices = [SelectChoice("", _("No invoice"))] + options(
            Invoice, Invoice.number, (Invoice.date.desc(), Invoice.id.desc())
        )


def chosen_customer_id(form: DocumentForm, fallback) -> int | None:
    """The customer the form is about: the one posted, else ``fallback`` (e.g. ?customer_id=)."""
    raw = form.customer.raw_data[0] if "customer" in form and form.customer.raw_data else fallback
    try:
        return optional_id(raw)
    except (TypeError, ValueError):
        return None
