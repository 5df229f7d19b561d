"""The admin area: staff only, guarded once here for every route.

Deny by default: every route but login needs a logged-in, active staff user; the endpoints in
``ADMINISTRATORS_ONLY`` also need the administrator role (other staff get 403); and when the
"require a passkey or two-factor login for staff" setting is on, a staff user with neither
(``core.services.passkeys.second_factor_missing``) can only reach the setup pages until it is done.
"""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from core.auth import is_staff
from core.i18n import _
from core.services.passkeys import second_factor_missing
from core.submissions import claim_form_key

bp = Blueprint("admin", __name__)

# Reached without a session: the login, its second step, the sign-in link pages (each link page
# checks its own signed token) and the passkey sign-in (its answer is the credential).
PUBLIC_ENDPOINTS = {
    "admin.login",
    "admin.login_verify",
    "admin.request_sign_in_link",
    "admin.sign_in_link",
    "admin.passkey_login_options",
    "admin.passkey_login",
}
# Reachable before a second factor (authenticator app or passkey) is set up, when the setting
# requires one.
SETUP_ENDPOINTS = {
    "admin.two_factor",
    "admin.logout",
    "admin.passkeys",
    "admin.passkey_options",
    "admin.passkey_register",
    "admin.passkey_rename",
    "admin.passkey_remove",
}
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
    # Tokens of the REST API act as the administrator who made them.
    "admin.api_tokens",
    "admin.api_token_revoke",
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
    if request.endpoint not in SETUP_ENDPOINTS and second_factor_missing(current_user):
        flash(_("Staff must sign in with a passkey or an authenticator app. Please set one up now."), "warning")
        return redirect(url_for("admin.two_factor"))
    if request.endpoint in ADMINISTRATORS_ONLY and not current_user.is_admin:
        abort(403)
    return None


# After require_staff: a refused request claims no form key (one effect per form).
bp.before_request(claim_form_key)

from . import (  # noqa: E402
    api_tokens,
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
    sign_in_links,
    staff,
    tickets,
    webhooks,
)

__all__ = [
    "api_tokens",
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
    "sign_in_links",
    "staff",
    "tickets",
    "webhooks",
]
