"""A customer's contacts: create, edit, activate/deactivate, make primary, delete.

Who may do what (the table is in README.md, Security): administrators everything about a
contact's access; other staff create contacts and edit their details and notification toggles.
``contact_access`` (status, primary flag, delete) is in ``ADMINISTRATORS_ONLY``; inside the
contact form the contacts service refuses access changes by other staff.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.extensions import db
from core.i18n import _
from core.models import Contact, Customer
from core.services import ServiceError, impersonation
from core.services.contacts import (
    ContactData,
    create_contact,
    delete_contact,
    make_primary,
    set_active,
    update_contact,
)
from core.services.passwords import send_invitation
from core.services.settings import default_contact_permissions

from . import bp
from .forms import ContactForm


def _data(form: ContactForm, contact: Contact | None = None) -> ContactData:
    """The form's values. The access fields are not shown to staff who are not administrators,
    so for them the current access (or a new contact's defaults) stands in for the missing
    checkboxes; a password they post anyway (with "set a password") is passed on, and the
    service refuses it. The form drops the password unless "set a password" was chosen."""
    if current_user.is_admin:
        permissions, is_primary, active = form.permissions(), form.is_primary.data, form.active.data
    elif contact is not None:
        permissions, is_primary, active = set(contact.permissions), contact.is_primary, contact.active
    else:
        permissions, is_primary, active = default_contact_permissions(), False, True
    return ContactData(
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        phone=form.phone.data or "",
        position=form.position.data or "",
        password=form.password.data or None,
        is_primary=is_primary,
        active=active,
        permissions=permissions,
        notifications=form.notifications(),
        language=form.language.data,
    )


def _back(contact_or_customer_id: int):
    return redirect(url_for("admin.customer_contacts", customer_id=contact_or_customer_id))


@bp.route("/customers/<int:customer_id>/contacts/new", methods=["GET", "POST"])
def contact_new(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    form = ContactForm()
    if request.method == "GET":
        form.fill_access(default_contact_permissions(), set())
        form.is_primary.data = not customer.contacts
    if form.validate_on_submit():
        try:
            contact = create_contact(
                customer, _data(form), invite=form.invite, actor=current_user._get_current_object()
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            if form.invite:
                flash(_("Contact %(name)s created and invited by email.", name=contact.full_name), "success")
            else:
                flash(_("Contact %(name)s created.", name=contact.full_name), "success")
            return _back(customer.id)
    return render_template("admin/contacts/form.html", form=form, customer=customer, contact=None)


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(contact_id: int):
    contact = db.get_or_404(Contact, contact_id)
    form = ContactForm(obj=contact, existing=True)
    if request.method == "GET":
        form.password.data = ""
        form.fill_access(contact.permissions, contact.notifications)
    if form.validate_on_submit():
        try:
            update_contact(
                contact,
                _data(form, contact),
                expected_version=form.version.data,
                invite=form.invite,
                actor=current_user._get_current_object(),
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            if form.invite:
                flash(
                    _("Contact %(name)s saved and emailed a link to choose a password.", name=contact.full_name),
                    "success",
                )
            else:
                flash(_("Contact %(name)s saved.", name=contact.full_name), "success")
            return _back(contact.customer_id)
    return render_template("admin/contacts/form.html", form=form, customer=contact.customer, contact=contact)


@bp.route("/contacts/<int:contact_id>/<any(invite,'login-as'):action>", methods=["POST"])
def contact_action(contact_id: int, action: str):
    """Actions every staff member may take (logging in as a contact checks the role itself)."""
    contact = db.get_or_404(Contact, contact_id)
    try:
        if action == "login-as":
            impersonation.start(current_user._get_current_object(), contact)
            flash(_("You are now viewing the customer area as %(name)s.", name=contact.full_name), "info")
            return redirect(url_for("portal.dashboard"))
        send_invitation(contact)
        flash(_("Invitation sent to %(email)s.", email=contact.email), "success")
    except ServiceError as exc:
        flash(str(exc), "danger")
    return _back(contact.customer_id)


@bp.route("/contacts/<int:contact_id>/<any(activate,deactivate,'make-primary',delete):action>", methods=["POST"])
def contact_access(contact_id: int, action: str):
    """Changes of a contact's status, primary flag or existence: administrators only (audited)."""
    contact = db.get_or_404(Contact, contact_id)
    customer_id, name, actor = contact.customer_id, contact.full_name, current_user._get_current_object()
    try:
        if action == "activate":
            set_active(contact, True, actor=actor)
            flash(_("%(name)s can log in again.", name=name), "success")
        elif action == "deactivate":
            set_active(contact, False, actor=actor)
            flash(_("%(name)s is deactivated and logged out.", name=name), "success")
        elif action == "make-primary":
            make_primary(contact, actor=actor)
            flash(_("%(name)s is now the primary contact.", name=name), "success")
        else:
            delete_contact(contact, actor=actor)
            flash(_("Contact %(name)s deleted. The customer's documents are kept.", name=name), "success")
    except ServiceError as exc:
        flash(str(exc), "danger")
    return _back(customer_id)
