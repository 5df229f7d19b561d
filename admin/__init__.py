"""The admin area: staff only, guarded once here for every route."""

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from core.auth import is_staff

bp = Blueprint("admin", __name__)

PUBLIC_ENDPOINTS = {"admin.login"}


@bp.before_request
def require_staff():
    """Deny by default: every admin route but login needs a logged-in active staff user."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not is_staff(current_user):
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    return None


from . import auth, contacts, customers, documents, emails, projects, proposals, settings, tickets  # noqa: E402

__all__ = ["auth", "bp", "contacts", "customers", "documents", "emails", "projects", "proposals", "settings", "tickets"]
