"""Sales documents in the admin area: detail, PDF, the send-by-email dialog, payments."""

from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from core.extensions import db
from core.forms import flash_errors
from core.i18n import _, _l
from core.models import Customer, Estimate, Invoice, Project
from core.pdf import document_pdf, pdf_filename
from core.services import ServiceError
from core.services.documents import agreement_delete_refused, agreement_edit_refused, delete_refused, edit_refused
from core.services.invoices import record_payment
from core.services.sending import DOCUMENT_KINDS, active_contacts, preselected_ids, send_document

from .. import bp
from .forms import ConfirmForm, PaymentForm, SendForm

SLUGS = {"invoices": "invoice", "credit-notes": "credit_note", "estimates": "estimate", "contracts": "contract"}
KIND_ROUTE = "/<any(invoices,'credit-notes',estimates,contracts):slug>/<int:doc_id>"
# The kinds' names as shown on the pages, in the reader's language.
KIND_NAMES = {
    "invoice": _l("Invoice"),
    "credit_note": _l("Credit note"),
    "estimate": _l("Estimate"),
    "contract": _l("Contract"),
}
LIST_ENDPOINTS = {
    "invoices": "admin.invoices",
    "credit-notes": "admin.credit_notes",
    "estimates": "admin.estimates",
    "contracts": "admin.contracts",
}


def load_document(slug: str, doc_id: int):
    """The document kind and the document of that kind with ``doc_id`` (404 when none)."""
    kind = DOCUMENT_KINDS[SLUGS[slug]]
    document = db.get_or_404(kind.model, doc_id)
    return kind, document


def _related(document) -> dict:
    """What the detail page links to: the project, the credited invoice, the converted estimate."""
    related = {"project": db.session.get(Project, document.project_id) if document.project_id else None}
    if getattr(document, "invoice_id", None):  # an estimate's invoice, a credit note's invoice
        related["invoice"] = db.session.get(Invoice, document.invoice_id)
    if isinstance(document, Invoice):
        related["estimate"] = db.session.scalar(select(Estimate).where(Estimate.invoice_id == document.id).limit(1))
    return related


@bp.route(KIND_ROUTE)
def document_detail(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    customer = db.session.get(Customer, document.customer_id)
    agreement = kind.key == "contract"
    return render_template(
        "admin/documents/detail.html",
        kind=kind,
        kind_name=KIND_NAMES[kind.key],
        slug=slug,
        doc=document,
        customer=customer,
        payment_form=PaymentForm() if kind.key == "invoice" else None,
        confirm_form=ConfirmForm(),
        edit_refused=agreement_edit_refused(document) if agreement else edit_refused(document),
        delete_refused=agreement_delete_refused(document) if agreement else delete_refused(document),
        **_related(document),
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
            sent = {
                "invoice": _("Invoice sent to %(names)s.", names=names),
                "credit_note": _("Credit note sent to %(names)s.", names=names),
                "estimate": _("Estimate sent to %(names)s.", names=names),
                "contract": _("Contract sent to %(names)s.", names=names),
            }
            flash(sent[kind.key], "success")
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=doc_id))
    return render_template(
        "admin/documents/send.html",
        kind=kind,
        kind_name=KIND_NAMES[kind.key],
        slug=slug,
        doc=document,
        customer=customer,
        form=form,
        contacts=contacts,
        preselected=preselected,
    )


@bp.route("/invoices/<int:doc_id>/payments", methods=["POST"])
def invoice_payment(doc_id: int):
    _kind, invoice = load_document("invoices", doc_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            record_payment(invoice, form.amount.data, form.paid_on.data, form.method.data or "")
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Payment recorded."), "success")
    else:
        flash_errors(form, _l("Payment not recorded: %(error)s"))
    return redirect(url_for("admin.document_detail", slug="invoices", doc_id=doc_id))
