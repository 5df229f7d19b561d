"""The admin area: staff only, guarded once here for every route.

Deny by default: every route but login needs a logged-in, active staff user; the endpoints in
``ADMINISTRATORS_ONLY`` also need the administrator role (other staff get 403); and when the
"require two-factor login for staff" setting is on, a staff user without it can only reach the
two-factor setup page until it is done.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from core.auth import is_staff
from core.i18n import _
from core.services.settings import REQUIRE_STAFF_TWO_FACTOR, get_bool_setting
from core.submissions import claim_form_key

bp = Blueprint("admin", __name__)

PUBLIC_ENDPOINTS = {"admin.login", "admin.login_verify"}
# Reachable before two-factor setup is done, when the setting requires it.
SETUP_ENDPOINTS = {"admin.two_factor", "admin.logout"}
ADMINISTRATORS_ONLY = {
    "admin.settings",
    "admin.audit",
    "admin.staff_list",
    "admin.staff_role",
    "admin.departments",
    "admin.department_rename",
    "admin.department_active",
    # A contact's status, primary flag and deletion (its permissions and password are
    # refused inside the contact form by core.services.contacts).
    "admin.contact_access",
    # Money leaving through the card gateway.
    "admin.payment_refund",
    # Webhook endpoints and deliveries (every route of admin/webhooks.py).
    "admin.webhooks",
    "admin.webhook_new",
    "admin.webhook",
    "admin.webhook_rotate",
    "admin.webhook_delete",
    "admin.webhook_delivery",
    "admin.webhook_redeliver",
}


@bp.before_request
def require_staff():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not is_staff(current_user):
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    if (
        not current_user.totp_secret
        and request.endpoint not in SETUP_ENDPOINTS
        and get_bool_setting(REQUIRE_STAFF_TWO_FACTOR)
    ):
        flash(_("Two-factor login is required for staff. Please set it up now."), "warning")
        return redirect(url_for("admin.two_factor"))
    if request.endpoint in ADMINISTRATORS_ONLY and not current_user.is_admin:
        abort(403)
    return None


# After require_staff: a refused request claims no form key (one effect per form).
bp.before_request(claim_form_key)

from . import (  # noqa: E402
    audit,
    auth,
    contacts,
    customers,
    emails,
    payments,
    projects,
    proposals,
    sales,
    settings,
    staff,
    tickets,
    webhooks,
)

__all__ = [
    "audit",
    "auth",
    "bp",
    "contacts",
    "customers",
    "emails",
    "payments",
    "projects",
    "proposals",
    "sales",
    "settings",
    "staff",
    "tickets",
    "webhooks",
]
