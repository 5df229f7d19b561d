"""Sales documents in the admin area: detail, PDF, the send-by-email dialog, payments."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from core.extensions import db
from core.models import Customer
from core.pdf import document_pdf, pdf_filename
from core.services import ServiceError
from core.services.invoices import record_payment
from core.services.sending import DOCUMENT_KINDS, active_contacts, preselected_ids, send_document

from . import bp

SLUGS = {"invoices": "invoice", "credit-notes": "credit_note", "estimates": "estimate", "contracts": "contract"}
KIND_ROUTE = "/<any(invoices,'credit-notes',estimates,contracts):slug>/<int:doc_id>"


class ContactChoiceField(SelectMultipleField):
    def pre_validate(self, form) -> None:
        # No choice check here: send_document checks every id against the customer's active
        # contacts, whatever was posted, and says so in words.
        return None


class SendForm(FlaskForm):
    recipients = ContactChoiceField(
        "Recipients", coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )
    cc = StringField("CC", validators=[Optional(), Length(max=1000)], description="Optional, comma separated")
    attach_pdf = BooleanField("Attach PDF", default=True)


class PaymentForm(FlaskForm):
    amount = DecimalField("Amount", places=2, validators=[DataRequired(), NumberRange(min=0.01)])
    paid_on = DateField("Date", default=date.today, validators=[DataRequired()])
    method = StringField("Method", default="Bank transfer", validators=[Length(max=40)])


def load_document(slug: str, doc_id: int):
    kind = DOCUMENT_KINDS[SLUGS[slug]]
    document = db.get_or_404(kind.model, doc_id)
    return kind, document


@bp.route(KIND_ROUTE)
def document_detail(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    customer = db.session.get(Customer, document.customer_id)
    return render_template(
        "admin/documents/detail.html",
        kind=kind,
        slug=slug,
        doc=document,
        customer=customer,
        payment_form=PaymentForm() if kind.key == "invoice" else None,
    )


@bp.route(KIND_ROUTE + "/pdf")
def document_pdf_download(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    customer = db.session.get(Customer, document.customer_id)
    response = make_response(document_pdf(kind.key, document, customer, current_app.config["COMPANY_NAME"]))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(kind.key, document)}"'
    return response


@bp.route(KIND_ROUTE + "/send", methods=["GET", "POST"])
def document_send(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    customer = db.session.get(Customer, document.customer_id)
    contacts = active_contacts(customer.id)
    preselected = preselected_ids(kind, customer.id)
    form = SendForm()
    form.recipients.choices = [(c.id, f"{c.full_name} <{c.email}>") for c in contacts]
    if request.method == "GET":
        form.recipients.data = sorted(preselected)
    if form.validate_on_submit():
        try:
            emails = send_document(
                kind, document, set(form.recipients.data or ()), cc=form.cc.data or "", attach_pdf=form.attach_pdf.data
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            names = ", ".join(e.to_address for e in emails)
            flash(f"{kind.label} sent to {names}.", "success")
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=doc_id))
    return render_template(
        "admin/documents/send.html",
        kind=kind,
        slug=slug,
        doc=document,
        customer=customer,
        form=form,
        contacts=contacts,
        preselected=preselected,
    )


@bp.route("/invoices/<int:doc_id>/payments", methods=["POST"])
def invoice_payment(doc_id: int):
    kind, invoice = load_document("invoices", doc_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            record_payment(invoice, form.amount.data, form.paid_on.data, form.method.data or "")
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash("Payment recorded.", "success")
    else:
        for errors in form.errors.values():
            flash(f"Payment not recorded: {errors[0]}", "danger")
    return redirect(url_for("admin.document_detail", slug="invoices", doc_id=doc_id))
