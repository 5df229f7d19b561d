"""Customers: list, create, edit, and the profile page with its tabs."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from core.catalogs import NOTIFICATIONS, notification_allowed
from core.extensions import db
from core.formposts import run_form
from core.i18n import _
from core.models import Contract, CreditNote, Customer, Estimate, Invoice, Project, Proposal, Ticket, contacts_of
from core.pagination import paginate
from core.services.customers import customer_search, save_customer

from . import bp
from .forms import CustomerForm

# The profile's document tabs: tab name -> (model, ordering).
DOCUMENT_TABS = {
    "invoices": (Invoice, Invoice.date.desc()),
    "credit_notes": (CreditNote, CreditNote.date.desc()),
    "estimates": (Estimate, Estimate.date.desc()),
    "proposals": (Proposal, Proposal.date.desc()),
    "contracts": (Contract, Contract.start_date.desc()),
    "tickets": (Ticket, Ticket.last_reply_at.desc()),
    "projects": (Project, Project.start_date.desc()),
}


def notification_matrix(contacts) -> dict[int, dict[str, str]]:
    """Per contact and notification: "on" (receives it), "off", "no_permission" or "inactive".

    "on" is exactly the recipient rule (``Contact.receives``), so the matrix shows who will be
    emailed; "inactive" means the contact may not log in (it or its customer is inactive).
    """
    matrix = {}
    for contact in contacts:
        row = {}
        for n in NOTIFICATIONS:
            if contact.receives(n.key):
                row[n.key] = "on"
            elif not notification_allowed(n.key, contact.permissions):
                row[n.key] = "no_permission"
            elif not contact.may_log_in:
                row[n.key] = "inactive"
            else:
                row[n.key] = "off"
        matrix[contact.id] = row
    return matrix


def _page(stmt):
    return paginate(stmt)


@bp.route("/")
@bp.route("/customers")
def customers():
    query = request.args.get("q", "")[:100]
    return render_template("admin/customers/index.html", page=_page(customer_search(query)), q=query)


@bp.route("/customers/new", methods=["GET", "POST"])
def customer_new():
    form = CustomerForm()
    if form.validate_on_submit():
        customer = save_customer(None, form.values())
        flash(_("Customer %(company)s created. Now add its contacts.", company=customer.company), "success")
        return redirect(url_for("admin.customer_contacts", customer_id=customer.id))
    return render_template("admin/customers/form.html", form=form, customer=None)


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def customer_edit(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer)
    version = _int_or_none(form.version.data)
    if run_form(form, lambda: save_customer(customer, form.values(), expected_version=version), _("Customer saved.")):
        return redirect(url_for("admin.customer_profile", customer_id=customer.id))
    return render_template("admin/customers/form.html", form=form, customer=customer)


@bp.route("/customers/<int:customer_id>")
def customer_profile(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    return render_template("admin/customers/profile.html", customer=customer, tab="profile")


@bp.route("/customers/<int:customer_id>/contacts")
def customer_contacts(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    contacts = db.session.scalars(contacts_of(customer.id)).all()
    matrix = notification_matrix(contacts)
    return render_template(
        "admin/customers/contacts.html",
        customer=customer,
        contacts=contacts,
        tab="contacts",
        matrix=matrix,
        unreached=[n for n in NOTIFICATIONS if not any(row[n.key] == "on" for row in matrix.values())],
    )


@bp.route("/customers/<int:customer_id>/<any(" + ",".join(DOCUMENT_TABS) + "):tab>")
def customer_documents(customer_id: int, tab: str):
    customer = db.get_or_404(Customer, customer_id)
    model, order = DOCUMENT_TABS.get(tab) or abort(404)
    stmt = select(model).where(model.customer_id == customer.id).order_by(order, model.id.desc())
    return render_template(
        "admin/customers/documents.html",
        customer=customer,
        tab=tab,
        page=_page(stmt),
        detail_slugs={
            "invoices": "invoices",
            "credit_notes": "credit-notes",
            "estimates": "estimates",
            "contracts": "contracts",
        },
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
