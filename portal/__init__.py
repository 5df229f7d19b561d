"""The customer area: every route needs a logged-in active contact; features need permissions."""

from flask import Blueprint, request
from flask_login import current_user

from core.auth import is_contact
from core.services import impersonation
from core.submissions import claim_form_key

from .guards import refuse_changes_while_impersonating, require_contact
from .menu import menu_for

bp = Blueprint("portal", __name__)
bp.before_request(require_contact)
bp.before_request(refuse_changes_while_impersonating)


@bp.context_processor
def portal_menu():
    """The menu lists only the features the logged-in contact may use."""
    if not is_contact(current_user):
        return {"portal_menu": [], "impersonator": None}
    return {"portal_menu": menu_for(current_user, request.endpoint), "impersonator": impersonation.impersonator()}


from . import account, company, dashboard, passkeys, passwords, sign_in_links  # noqa: E402
from .features import (  # noqa: E402
    contracts,
    estimates,
    invoices,
    payments,
    payments_several,
    projects,
    proposals,
    tickets,
)

for feature in (invoices, payments, payments_several, estimates, contracts, proposals, tickets, projects):
    bp.register_blueprint(feature.bp)

# After the guards above: a refused request claims no form key (one effect per form).
bp.before_request(claim_form_key)

__all__ = ["account", "bp", "company", "dashboard", "passkeys", "passwords", "sign_in_links"]
