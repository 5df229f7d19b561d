"""The passkey pages and JSON endpoints, the same for contacts and staff (each area mounts them).

The browser side is ``static/js/passkeys.js``: it asks for options, runs the ceremony with
``navigator.credentials`` and posts the answer as JSON with the CSRF token in ``X-CSRFToken``.
Every JSON answer is ``{"error": message}`` with a 400 when something is refused or malformed,
never a 500. The rules live in ``core.services.passkeys``.
"""

from __future__ import annotations

from flask import current_app, flash, jsonify, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from core.extensions import db
from core.formposts import post_and_redirect
from core.forms import PasskeyNameForm
from core.i18n import _
from core.loginflow import LoginArea, complete_passkey_login
from core.models import Passkey
from core.services import passkeys
from core.services.passkeys import PasskeyError


def _json_error(message: str, status: int = 400):
    return jsonify(error=message), status


def _credential_from_body() -> tuple[dict | None, dict]:
    """(the posted credential, the whole body) from a JSON body ``{"credential": {...}, ...}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, {}
    credential = body.get("credential")
    return (credential if isinstance(credential, dict) else None), body


def _options_response(options_json: str):
    return current_app.response_class(options_json, mimetype="application/json")


def _bad_request():
    return _json_error(_("The request was not understood. Please reload the page and try again."))


# -- the account's passkey page --------------------------------------------------------------------


def passkeys_page(template: str, area: str):
    """The list of the user's passkeys with "add", rename and remove."""
    user = current_user._get_current_object()
    return render_template(
        template,
        passkeys=db.session.scalars(passkeys.passkeys_of(user)).all(),
        rename_form=PasskeyNameForm(prefix="rename"),
        remove_form=FlaskForm(),
        area=area,
        options_url=url_for(f"{area}.passkey_options"),
        register_url=url_for(f"{area}.passkey_register"),
    )


def registration_options():
    """POST (JSON): options for adding a passkey to the logged-in user's account."""
    return _options_response(passkeys.registration_options(current_user._get_current_object()))


def register(page_endpoint: str):
    """POST (JSON ``{"credential": ..., "name": ...}``): store the new passkey; answers where to go."""
    credential, body = _credential_from_body()
    if credential is None:
        return _bad_request()
    try:
        passkey = passkeys.register(current_user._get_current_object(), credential, body.get("name"))
    except PasskeyError as exc:
        return _json_error(str(exc))
    flash(_("The passkey “%(name)s” is added. Next time, sign in with it.", name=passkey.name), "success")
    return jsonify(redirect=url_for(page_endpoint))


def _own_passkey_or_404(passkey_id: int) -> Passkey:
    return db.first_or_404(passkeys.passkeys_of(current_user._get_current_object()).where(Passkey.id == passkey_id))


def rename(passkey_id: int, page_endpoint: str):
    """POST (form): rename one of the user's own passkeys (another's is a 404)."""
    passkey = _own_passkey_or_404(passkey_id)
    form = PasskeyNameForm(prefix="rename")
    user = current_user._get_current_object()
    return post_and_redirect(
        form, lambda: passkeys.rename(user, passkey, form.name.data), _("Passkey renamed."), url_for(page_endpoint)
    )


def remove(passkey_id: int, page_endpoint: str):
    """POST (form): remove one of the user's own passkeys (another's is a 404)."""
    passkey = _own_passkey_or_404(passkey_id)
    user = current_user._get_current_object()
    return post_and_redirect(
        FlaskForm(), lambda: passkeys.remove(user, passkey), _("Passkey removed."), url_for(page_endpoint)
    )


# -- signing in ------------------------------------------------------------------------------------


def login_options(area: LoginArea):
    """POST (JSON): options for signing in to ``area`` with a discoverable passkey."""
    return _options_response(passkeys.authentication_options(area.blueprint))


def login(area: LoginArea):
    """POST (JSON ``{"credential": ..., "next": ...}``): sign in with the passkey; no code is
    asked afterwards. Answers ``{"redirect": landing page}``."""
    credential, body = _credential_from_body()
    if credential is None:
        return _bad_request()
    try:
        user = passkeys.authenticate(area.blueprint, credential)
    except PasskeyError as exc:
        return _json_error(str(exc))
    next_path = body.get("next") if isinstance(body.get("next"), str) else ""
    return jsonify(redirect=complete_passkey_login(user, area, next_path))
