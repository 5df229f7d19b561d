"""Sales documents in the admin area: detail, PDF, the send-by-email dialog, payments."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.document_kinds import DOCUMENT_KINDS, KINDS_BY_SLUG
from core.extensions import db
from core.forms import flash_errors
from core.i18n import _, _l
from core.models import Customer, Estimate, Invoice, Project
from core.notifications.notify import event_recipients
from core.pdf import document_pdf, pdf_download, pdf_filename
from core.services import ServiceError
from core.services.documents import agreement_delete_refused, agreement_edit_refused, delete_refused, edit_refused
from core.services.invoices import record_payment
from core.services.sending import (
    active_contacts,
    preselected_ids,
    preview_document_email,
    send_document,
    sendable_contact,
)

from .. import bp
from ..emails import email_html_response
from .forms import ConfirmForm, PaymentForm, SendForm

# The shared routes of every kind but proposals (which have their own pages), e.g. /invoices/7.
KIND_ROUTE = "/<any({}):slug>/<int:doc_id>".format(
    ",".join(repr(k.slug) for k in DOCUMENT_KINDS if k.admin_detail == "admin.document_detail")
)


def load_document(slug: str, doc_id: int):
    """The document kind and the document of that kind with ``doc_id`` (404 when none)."""
    kind = KINDS_BY_SLUG[slug]
    document = db.get_or_404(kind.model, doc_id)
    return kind, document


def _page(template: str, kind, document, **context) -> str:
    """One of a document's pages, with the kind, the document and its customer."""
    customer = db.session.get(Customer, document.customer_id)
    return render_template(template, kind=kind, slug=kind.slug, doc=document, customer=customer, **context)


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
    agreement = kind.item_model is None
    is_invoice = kind.key == "invoice"
    return _page(
        "admin/documents/detail.html",
        kind,
        document,
        payment_form=PaymentForm() if is_invoice else None,
        payment_emailed=event_recipients("payment_recorded", document.customer_id) if is_invoice else [],
        confirm_form=ConfirmForm(),
        edit_refused=agreement_edit_refused(document) if agreement else edit_refused(document),
        delete_refused=agreement_delete_refused(document) if agreement else delete_refused(document),
        **_related(document),
    )


@bp.route(KIND_ROUTE + "/pdf")
def document_pdf_download(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    customer = db.session.get(Customer, document.customer_id)
    data = document_pdf(kind.key, document, customer, current_app.config["COMPANY_NAME"])
    return pdf_download(data, pdf_filename(kind.key, document))


@bp.route(KIND_ROUTE + "/send", methods=["GET", "POST"])
def document_send(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    contacts = active_contacts(document.customer_id)
    preselected = preselected_ids(kind, document.customer_id)
    form = SendForm()
    form.recipients.choices = [(c.id, f"{c.full_name} <{c.email}>") for c in contacts]
    if request.method == "GET":
        form.recipients.data = sorted(preselected)
    if form.validate_on_submit():
        try:
            emails = send_document(
                kind,
                document,
                set(form.recipients.data or ()),
                cc=form.cc.data or "",
                attach_pdf=form.attach_pdf.data,
                actor=current_user,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(str(kind.texts.sent) % {"names": ", ".join(e.to_address for e in emails)}, "success")
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=doc_id))
    return _page("admin/documents/send.html", kind, document, form=form, contacts=contacts, preselected=preselected)


def _preview(slug: str, doc_id: int, contact_id: int):
    """The document, its kind, a contact it may be sent to (else 404) and that contact's email."""
    kind, document = load_document(slug, doc_id)
    contact = sendable_contact(document, contact_id)
    if contact is None:
        abort(404)
    return kind, document, contact, preview_document_email(kind, document, contact)


@bp.route(KIND_ROUTE + "/send/preview/<int:contact_id>")
def document_email_preview(slug: str, doc_id: int, contact_id: int):
    """The send dialog's preview: the email as ``contact_id`` will receive it (read-only)."""
    kind, document, contact, email = _preview(slug, doc_id, contact_id)
    return _page(
        "admin/documents/email_preview.html",
        kind,
        document,
        contact=contact,
        email=email,
        attachment=pdf_filename(kind.key, document),
    )


@bp.route(KIND_ROUTE + "/send/preview/<int:contact_id>/html")
def document_email_preview_html(slug: str, doc_id: int, contact_id: int):
    """The previewed email's HTML part, for the preview page's sandboxed frame."""
    *_, email = _preview(slug, doc_id, contact_id)
    return email_html_response(email.html_body)


@bp.route("/invoices/<int:doc_id>/payments", methods=["POST"])
def invoice_payment(doc_id: int):
    _kind, invoice = load_document("invoices", doc_id)
    form = PaymentForm()
    if form.validate_on_submit():
        try:
            record_payment(
                invoice,
                form.amount.data,
                form.paid_on.data,
                form.method.data or "",
                notify=form.emails_customer,
                actor=current_user,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Payment recorded."), "success")
    else:
        flash_errors(form, _l("Payment not recorded: %(error)s"))
    return redirect(url_for("admin.document_detail", slug="invoices", doc_id=doc_id))
