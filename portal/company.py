"""The primary contact's company page and, where the setting allows, its colleagues.

Two child blueprints of the portal, each guarded once in ``before_request`` so no route can
forget the check (the portal's own guard has already required a logged-in active contact):

- ``portal.company.*``: the customer's primary contact only (others: 403);
- ``portal.colleagues.*``: the primary contact, and only while the administrators' setting
  "primary contact manages contacts" is on (otherwise 403).

Colleagues are loaded through the customer scope, so another customer's contact is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import HiddenField

from core.forms import AccessFields, CompanyDetailsForm, email_field, name_field
from core.i18n import _, _l
from core.models import Contact, contacts_of
from core.pagination import paginate
from core.services import ServiceError
from core.services.colleagues import (
    COMPANY_FIELDS,
    change_colleague_access,
    check_manageable,
    invite_colleague,
    manageable_notifications,
    manageable_permissions,
    may_manage_colleagues,
    may_manage_company,
    set_colleague_active,
    update_company,
)
from core.services.settings import default_contact_permissions

from . import bp
from .guards import owned_or_404

company_bp = Blueprint("company", __name__)
colleagues_bp = Blueprint("colleagues", __name__)


@company_bp.before_request
def primary_contact_only():
    if not may_manage_company(current_user):
        abort(403)


@colleagues_bp.before_request
def primary_contact_with_setting_only():
    if not may_manage_colleagues(current_user):
        abort(403)


# -- forms -------------------------------------------------------------------------------------


class CompanyForm(CompanyDetailsForm):
    """Only the fields the primary contact may change: anything else posted is never read."""

    version = HiddenField()

    def values(self) -> dict:
        return {name: self[name].data or "" for name in COMPANY_FIELDS}


class AccessForm(AccessFields):
    """One checkbox per permission and per notification (``core.forms.AccessFields``)."""

    version = HiddenField()


class InviteForm(AccessForm):
    first_name = name_field(_l("First name"))
    last_name = name_field(_l("Last name"))
    email = email_field()


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- company details ---------------------------------------------------------------------------


@company_bp.route("/company", methods=["GET", "POST"])
def details():
    customer = current_user.customer
    form = CompanyForm(obj=customer)
    if form.validate_on_submit():
        try:
            changed = update_company(current_user, form.values(), expected_version=_int_or_none(form.version.data))
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Your company's details are saved.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("portal.company.details"))
    return render_template(
        "portal/company/details.html",
        form=form,
        customer=customer,
        manages_colleagues=may_manage_colleagues(current_user),
    )


# -- colleagues --------------------------------------------------------------------------------


def _access_page(template: str, form: AccessForm, **context):
    return render_template(
        template,
        form=form,
        ceiling=manageable_permissions(current_user),
        note_ceiling=manageable_notifications(current_user),
        **context,
    )


@colleagues_bp.route("/company/contacts")
def index():
    page = paginate(contacts_of(current_user.customer_id))
    return render_template("portal/company/contacts.html", page=page, ceiling=manageable_permissions(current_user))


@colleagues_bp.route("/company/contacts/new", methods=["GET", "POST"])
def invite():
    form = InviteForm()
    if request.method == "GET":
        form.fill_access(default_contact_permissions() & manageable_permissions(current_user), set())
    if form.validate_on_submit():
        try:
            colleague = invite_colleague(
                current_user,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                email=form.email.data,
                permissions=form.permissions(),
                notifications=form.notifications(),
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(
                _(
                    "%(name)s is invited: we emailed %(email)s a link to choose a password.",
                    name=colleague.full_name,
                    email=colleague.email,
                ),
                "success",
            )
            return redirect(url_for("portal.colleagues.index"))
    return _access_page("portal/company/invite.html", form)


@colleagues_bp.route("/company/contacts/<int:contact_id>", methods=["GET", "POST"])
def edit(contact_id: int):
    colleague = owned_or_404(Contact, contact_id)
    try:
        check_manageable(current_user, colleague)
    except ServiceError as exc:
        flash(str(exc), "warning")
        return redirect(url_for("portal.colleagues.index"))
    form = AccessForm()
    if request.method == "GET":
        form.fill_access(colleague.permissions, colleague.notifications)
        form.version.data = colleague.version
    if form.validate_on_submit():
        try:
            changed = change_colleague_access(
                current_user,
                colleague,
                form.permissions(),
                form.notifications(),
                expected_version=_int_or_none(form.version.data),
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(
                _("%(name)s's access is saved.", name=colleague.full_name) if changed else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for("portal.colleagues.index"))
    return _access_page("portal/company/edit.html", form, colleague=colleague)


@colleagues_bp.route("/company/contacts/<int:contact_id>/<any(activate,deactivate):action>", methods=["POST"])
def set_active(contact_id: int, action: str):
    colleague = owned_or_404(Contact, contact_id)
    name = colleague.full_name
    try:
        changed = set_colleague_active(current_user, colleague, action == "activate")
    except ServiceError as exc:
        flash(str(exc), "danger")
    else:
        if action == "activate":
            flash(
                _("%(name)s can log in again.", name=name) if changed else _("%(name)s was already active.", name=name),
                "success",
            )
        else:
            flash(
                _("%(name)s is deactivated and logged out.", name=name)
                if changed
                else _("%(name)s was already inactive.", name=name),
                "success",
            )
    return redirect(url_for("portal.colleagues.index"))


bp.register_blueprint(company_bp)
bp.register_blueprint(colleagues_bp)
