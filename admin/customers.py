"""Customers: list, create, edit, and the profile page with its tabs."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from core.catalogs import NOTIFICATIONS, notification_allowed
from core.document_kinds import ADMIN_KINDS
from core.extensions import db
from core.formposts import run_form
from core.i18n import _
from core.models import Customer, Project, Ticket, contacts_of
from core.notifications.reach import nobody_receives, unreached_notifications
from core.pagination import paginate
from core.services.customers import customer_search, save_customer

from . import bp
from .forms import CustomerForm

# The profile's document tabs: tab name -> (model, ordering); one per kind of the registry, newest
# first, in the staff area's order, then tickets and projects.
DOCUMENT_TABS = {kind.tab: (kind.model, getattr(kind.model, kind.date_attr).desc()) for kind in ADMIN_KINDS} | {
    "tickets": (Ticket, Ticket.last_reply_at.desc()),
    "projects": (Project, Project.start_date.desc()),
}
KINDS_BY_TAB = {kind.tab: kind for kind in ADMIN_KINDS}


@bp.context_processor
def _document_menu() -> dict:
    """The admin layout's menu entries and the customer tabs for document kinds, from the registry."""
    return {"document_menu": DOCUMENT_MENU, "menu_by_slug": MENU_BY_SLUG, "admin_kinds": ADMIN_KINDS}


def _menu() -> tuple[list[tuple[str, str, tuple[str, ...]]], dict[str, str]]:
    """One menu entry per feature (credit notes live under invoices): the first kind's list and
    plural, active on the endpoints of each of its kinds; and each kind's slug -> that entry."""
    groups: dict[str, list] = {}
    for kind in ADMIN_KINDS:
        groups.setdefault(kind.permission, []).append(kind)
    menu = [(kinds[0].admin_list, kinds[0].plural, tuple(f"admin.{k.key}" for k in kinds)) for kinds in groups.values()]
    by_slug = {k.slug: kinds[0].admin_list for kinds in groups.values() for k in kinds}
    return menu, by_slug


DOCUMENT_MENU, MENU_BY_SLUG = _menu()


@bp.context_processor
def _notification_reach() -> dict:
    """The one "nobody receives these emails" sentence, for the contacts tab and the send dialog."""
    return {"nobody_receives": nobody_receives}


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
        customer = save_customer(None, form.values(), actor=current_user._get_current_object())
        flash(_("Customer %(company)s created. Now add its contacts.", company=customer.company), "success")
        return redirect(url_for("admin.customer_contacts", customer_id=customer.id))
    return render_template("admin/customers/form.html", form=form, customer=None)


@bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def customer_edit(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    form = CustomerForm(obj=customer)
    version = _int_or_none(form.version.data)
    actor = current_user._get_current_object()
    if run_form(
        form,
        lambda: save_customer(customer, form.values(), expected_version=version, actor=actor),
        _("Customer saved."),
    ):
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
        unreached=unreached_notifications(contacts),
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
        kind=KINDS_BY_TAB.get(tab),
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
