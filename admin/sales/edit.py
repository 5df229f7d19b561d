"""Creating, editing and deleting sales documents; converting an accepted estimate to an invoice.

Each view parses the form, loads the document, calls one service function and redirects; the
rules (locked documents, one customer per document, numbering) live in core.services.documents.
"""

from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.document_kinds import DOCUMENT_KINDS_BY_KEY, KINDS_BY_SLUG, LINE_ITEM_KINDS
from core.extensions import db
from core.forms import flash_errors
from core.i18n import _
from core.labels import label
from core.models import Contract, Customer
from core.services import ServiceError
from core.services.documents import (
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
from .documents import KIND_ROUTE, load_document
from .forms import (
    SALES_FORMS,
    ConfirmForm,
    ContractForm,
    chosen_customer_id,
    fill_choices,
    pad_lines,
    sales_form_data,
)
from .lists import detail_url

SALES_ROUTE = "/<any({}):slug>".format(",".join(repr(k.slug) for k in LINE_ITEM_KINDS))


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


def _sales_page(kind, form, document=None, **context) -> str:
    """The form page of an invoice, credit note or estimate (``document`` None: a new one)."""
    customer = db.session.get(Customer, document.customer_id) if document is not None else None
    return render_template(
        "admin/documents/form.html", form=form, kind=kind, slug=kind.slug, doc=document, customer=customer, **context
    )


def save_and_flash(kind, save) -> object | None:
    """Run ``save`` (a service call returning the document) and flash the outcome; the saved
    document, or None when the service refused (the page is shown again with the message)."""
    try:
        document = save()
    except ServiceError as exc:
        flash(str(exc), "danger")
        return None
    flash(str(kind.texts.saved) % {"number": getattr(document, kind.title_attr)}, "success")
    return document


def agreement_edit_form(form_class, document):
    """The edit form of a proposal or contract: what was posted, or on GET the document's
    values; the customer field is removed (a document stays with its customer)."""
    if request.method == "POST":
        form = form_class()
    else:
        values = {name: getattr(document, name) for name in (*form_class.FIELDS, "currency")}
        form = form_class(project=document.project_id, **values)
    del form.customer
    fill_choices(form, document.customer_id)
    return form


@bp.route(SALES_ROUTE + "/new", methods=["GET", "POST"])
def document_new(slug: str):
    kind = KINDS_BY_SLUG[slug]
    form = _new_form(SALES_FORMS[kind.key], request.args.get("customer_id"))
    form.status.choices = _status_choices(kind.key)
    if form.validate_on_submit():
        save = partial(create_sales_document, kind.key, form.customer.data, form.sales_data(), actor=current_user)
        document = save_and_flash(kind, save)
        if document is not None:
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=document.id))
    return _sales_page(kind, form)


@bp.route(SALES_ROUTE + "/<int:doc_id>/edit", methods=["GET", "POST"])
def document_edit(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
    form_class = SALES_FORMS[kind.key]
    form = form_class() if request.method == "POST" else form_class(data=sales_form_data(document))
    del form.customer  # a document stays with its customer
    fill_choices(form, document.customer_id)
    form.status.choices = _status_choices(kind.key, document)
    if request.method == "GET":
        pad_lines(form, len(document.items))
    if form.validate_on_submit():

        def save():
            update_sales_document(document, form.sales_data(), actor=current_user)
            return document

        if save_and_flash(kind, save) is not None:
            return redirect(url_for("admin.document_detail", slug=slug, doc_id=document.id))
    return _sales_page(kind, form, document, refused=edit_refused(document), lines_locked=lines_locked(document))


@bp.route(KIND_ROUTE + "/delete", methods=["POST"])
def document_delete(slug: str, doc_id: int):
    kind, document = load_document(slug, doc_id)
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
    return redirect(url_for(kind.admin_list))


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


def agreement_page(kind, template: str, form, save, document=None):
    """A proposal's or contract's form page (``document`` None: a new one). A valid post is
    saved by ``save(data)``, which returns the document, and leads to it; otherwise the form
    is shown (again, with the service's message)."""
    if form.validate_on_submit():
        saved = save_and_flash(kind, lambda: save(form.agreement_data()))
        if saved is not None:
            return redirect(detail_url(kind, saved.id))
    customer = db.session.get(Customer, document.customer_id) if document is not None else None
    refused = agreement_edit_refused(document) if document is not None else None
    return render_template(template, kind=kind, form=form, doc=document, customer=customer, refused=refused)


def creating(create, form):
    """``save`` for ``agreement_page``: ``create`` (a service function) for the form's customer."""
    return lambda data: create(form.customer.data, data, actor=current_user)


def updating(update, document):
    """``save`` for ``agreement_page``: ``update`` (a service function) applied to ``document``."""

    def save(data):
        update(document, data, actor=current_user)
        return document

    return save


CONTRACT = DOCUMENT_KINDS_BY_KEY["contract"]
CONTRACT_FORM = "admin/documents/contract_form.html"


@bp.route("/contracts/new", methods=["GET", "POST"])
def contract_new():
    form = _new_form(ContractForm, request.args.get("customer_id"))
    return agreement_page(CONTRACT, CONTRACT_FORM, form, creating(create_contract, form))


@bp.route("/contracts/<int:doc_id>/edit", methods=["GET", "POST"])
def contract_edit(doc_id: int):
    _kind, contract = load_document("contracts", doc_id)
    form = agreement_edit_form(ContractForm, contract)
    return agreement_page(CONTRACT, CONTRACT_FORM, form, updating(update_contract, contract), contract)
