"""Access control for the customer area, in one place.

- ``bp`` (the portal blueprint) requires a logged-in, active contact for every route except
  the public ones (login).
- While an administrator views the customer area as a contact, ``bp`` refuses every state
  change but ``IMPERSONATION_ALLOWED``: staff may look, never act in the customer's name.
- ``feature_blueprint(permission)`` makes a child blueprint whose every route requires that
  permission: a route cannot be added to a feature and forget the check.
- ``scoped(Model)`` / ``owned_or_404(Model, id)`` load documents only through the contact's
  customer, so another customer's object simply does not exist (404).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select

from core.auth import is_contact
from core.catalogs import PERMISSION_KEYS
from core.extensions import db
from core.i18n import _
from core.security import referrer_path
from core.services import impersonation

PUBLIC_ENDPOINTS = {
    "portal.login",
    "portal.login_verify",
    "portal.logout",
    "portal.index",
    "portal.forgot_password",
    "portal.set_password",
    "portal.reset_password",
    "portal.unsubscribe",
    "portal.request_sign_in_link",
    "portal.sign_in_link",
    "portal.passkey_login_options",
    "portal.passkey_login",
}


def require_contact():
    """Before every portal request: send anyone but a logged-in active contact to login."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if not is_contact(current_user):
        return redirect(_login_url())
    return None


def _login_url() -> str:
    """The login page, coming back here; a notification email's ``login_hint`` (the address it
    was sent to) moves from the page's address to the login page's, to be filled in there."""
    args = request.args.copy()
    hint = args.poplist("login_hint")
    if not hint:
        return url_for("portal.login", next=request.full_path.rstrip("?"))
    here = request.path + (f"?{urlencode(list(args.items(multi=True)))}" if args else "")
    return url_for("portal.login", next=here, login_hint=hint[0])


# Safe methods change nothing; everything else is a state change.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The only state changes staff may make while viewing the customer area as a contact: leaving it.
IMPERSONATION_ALLOWED = frozenset({"portal.return_to_admin", "portal.logout"})


def refuse_changes_while_impersonating():
    """Before every portal request: while staff view the area as a contact, refuse state changes.

    Signing, accepting, commenting, passwords, two-factor, colleagues, preferences: anything
    posted would carry the customer's name, so nothing but ``IMPERSONATION_ALLOWED`` runs.
    """
    if request.method in READ_METHODS or request.endpoint in IMPERSONATION_ALLOWED:
        return None
    if not impersonation.active():
        return None
    flash(
        _(
            "You are viewing the customer area as this contact: you can look, but not sign, accept, "
            "send or change anything in the customer's name. Nothing was changed."
        ),
        "warning",
    )
    return redirect(referrer_path() or url_for("portal.dashboard"), code=303)


def feature_blueprint(name: str, import_name: str, permission: str) -> Blueprint:
    """A child blueprint of the portal whose routes all require ``permission``."""
    if permission not in PERMISSION_KEYS:
        raise ValueError(f"unknown permission {permission!r}")
    feature = Blueprint(name, import_name)

    @feature.before_request
    def check_permission():
        if not current_user.can(permission):
            abort(403)

    feature.permission = permission
    return feature


def scoped(model):
    """A select() of ``model`` rows that belong to the logged-in contact's customer."""
    return select(model).where(model.customer_id == current_user.customer_id)


def owned_statement(model, *options, condition=None):
    """``owned_or_404``'s select built once (at import), with the customer and the id as bound
    parameters: run it with ``load_owned_or_404``. For the busiest pages, where rebuilding the
    select and its loader options on every request cost about as much as running it."""
    stmt = select(model).where(model.customer_id == bindparam("customer_id"), model.id == bindparam("object_id"))
    if condition is not None:
        stmt = stmt.where(condition)
    return stmt.options(*options) if options else stmt


def load_owned_or_404(stmt, object_id: int):
    """The object ``stmt`` (from ``owned_statement``) finds for the logged-in contact's customer, or a 404."""
    return load_owned_row_or_404(stmt, object_id)[0]


def load_owned_row_or_404(stmt, object_id: int):
    """As ``load_owned_or_404``, for a statement with extra columns: the whole row."""
    return _row_or_404(stmt, {"customer_id": current_user.customer_id, "object_id": object_id})


def owned_or_404(model, object_id: int, *options, condition=None):
    """The logged-in contact's customer's ``model`` row with this id, or a 404.

    ``condition`` narrows further (e.g. drafts are not visible to customers).
    """
    stmt = scoped(model).where(model.id == object_id)
    if condition is not None:
        stmt = stmt.where(condition)
    if options:
        stmt = stmt.options(*options)
    return _row_or_404(stmt)[0]


def _row_or_404(stmt, params=None):
    # unique(): a joinedload of a collection repeats the row once per related row.
    row = db.session.execute(stmt, params).unique().one_or_none()
    if row is None:
        abort(404)
    return row
