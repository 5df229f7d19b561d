"""Creating, editing and deleting sales documents; converting an accepted estimate to an invoice.

Each view parses the form, loads the document, calls one service function and redirects; the
rules (locked documents, one customer per document, numbering) live in core.services.documents.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.forms import flash_errors
from core.i18n import _
from core.labels import label
from core.models import Contract, Customer
from core.services import ServiceError
from core.services.documents import (
    SALES_KINDS,
    agreement_edit_refused,
    allowed_statuses,
    convert_estimate,
    create_contract,
    create_sales_document,
    delete_agreement,
    delete_sales_document,
    edit_refused,
    lines_locked,
    update_contract,
    update_sales_document,
)

from .. import bp
from .documents import KIND_NAMES, KIND_ROUTE, LIST_ENDPOINTS, SLUGS, load_document
from .forms import (
    SALES_FORMS,
    ConfirmForm,
    ContractForm,
    chosen_customer_id,
    fill_choices,
    pad_lines,
    sales_form_data,
)

SALES_ROUTE = "/<any(invoices,'credit-notes',estimates):slug>"


def _new_form(form_class, customer_id_arg):
    """A new-document form: choices for the chosen customer, and on GET its defaults and token."""
    form = form_class()
    customer_id = chosen_customer_id(form, customer_id_arg)
    fill_choices(form, customer_id)
    if request.method == "GET":
        form.start(db.session.get(Customer, customer_id) if customer_id else None)
    return form


def _status_choices(kind_key: str, document=None) -> list[SelectChoice]:
    return [SelectChoice(s, label(s)) for s in allowed_statuses(kind_key, document)]


def _saved_message(kind_key: str, number: str) -> str:
    return {
        "invoice": _("Invoice %(number)s saved.", number=number),
        "credit_note": _("Credit note %(number)s saved.", number=number),
        "estimate": _("Estimate %(number)s saved.", number=number),
    }[kind_key]


@bp.route(SALES_ROUTE + "/new", methods=["GET", "POST"])
def document_new(slug: str):
    kind = SALES_KINDS[SLUGS[slug]]
    form = _new_form(SALES_FORMS[kind.key], request.args.get("customer_id"))
    form.status.choices = _status_choices(kind.key)
    if form.validate_on_submit():
        try:
            document = create_sales_document(kind.key, form.customer.data, form.sales_data(), actor=current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_saved_message(kind.key, document.number), "success")
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=document.id))
    return render_template(
        "admin/documents/form.html",
        form=form,
        kind=kind,
        kind_name=KIND_NAMES[kind.key],
        slug=slug,
        doc=None,
        customer=None,
    )


@bp.route(SALES_ROUTE + "/<int:doc_id>/edit", methods=["GET", "POST"])
def document_edit(slug: str, doc_id: int):
    _kind, document = load_document(slug, doc_id)
    kind = SALES_KINDS[SLUGS[slug]]
    form_class = SALES_FORMS[kind.key]
    form = form_class() if request.method == "POST" else form_class(data=sales_form_data(document))
    del form.customer  # a document stays with its customer
    fill_choices(form, document.customer_id)
    form.status.choices = _status_choices(kind.key, document)
    if request.method == "GET":
        pad_lines(form, len(document.items))
    if form.validate_on_submit():
        try:
            update_sales_document(document, form.sales_data(), actor=current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_saved_message(kind.key, document.number), "success")
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=document.id))
    return render_template(
        "admin/documents/form.html",
        form=form,
        kind=kind,
        kind_name=KIND_NAMES[kind.key],
        slug=slug,
        doc=document,
        customer=db.session.get(Customer, document.customer_id),
        refused=edit_refused(document),
        lines_locked=lines_locked(document),
    )


@bp.route(KIND_ROUTE + "/delete", methods=["POST"])
def document_delete(slug: str, doc_id: int):
    _kind, document = load_document(slug, doc_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("admin.document_detail", slug=slug, doc_id=doc_id))
    delete = delete_agreement if isinstance(document, Contract) else delete_sales_document
    try:
        delete(document, actor=current_user)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.document_detail", slug=slug, doc_id=doc_id))
    flash(_("Deleted."), "success")
    return redirect(url_for(LIST_ENDPOINTS[slug]))


@bp.route("/estimates/<int:doc_id>/convert", methods=["POST"])
def estimate_convert(doc_id: int):
    _kind, estimate = load_document("estimates", doc_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("admin.document_detail", slug="estimates", doc_id=doc_id))
    try:
        invoice = convert_estimate(estimate, actor=current_user)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.document_detail", slug="estimates", doc_id=doc_id))
    flash(_("Invoice %(number)s is the invoice of this estimate.", number=invoice.number), "success")
    return redirect(url_for("admin.document_detail", slug="invoices", doc_id=invoice.id))


@bp.route("/contracts/new", methods=["GET", "POST"])
def contract_new():
    form = _new_form(ContractForm, request.args.get("customer_id"))
    if form.validate_on_submit():
        try:
            contract = create_contract(form.customer.data, form.contract_data(), actor=current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Contract saved."), "success")
            return redirect(url_for("admin.document_detail", slug="contracts", doc_id=contract.id))
    return render_template("admin/documents/contract_form.html", form=form, doc=None, customer=None)


@bp.route("/contracts/<int:doc_id>/edit", methods=["GET", "POST"])
def contract_edit(doc_id: int):
    _kind, contract = load_document("contracts", doc_id)
    if request.method == "POST":
        form = ContractForm()
    else:
        form = ContractForm(
            project=contract.project_id,
            subject=contract.subject,
            content=contract.content,
            value=contract.value,
            currency=contract.currency,
            start_date=contract.start_date,
            end_date=contract.end_date,
        )
    del form.customer
    fill_choices(form, contract.customer_id)
    if form.validate_on_submit():
        try:
            update_contract(contract, form.contract_data(), actor=current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Contract saved."), "success")
            return redirect(url_for("admin.document_detail", slug="contracts", doc_id=contract.id))
    return render_template(
        "admin/documents/contract_form.html",
        form=form,
        doc=contract,
        customer=db.session.get(Customer, contract.customer_id),
        refused=agreement_edit_refused(contract),
    )
