"""The two-factor setup page, the same for contacts and staff (each area mounts it)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user

from core import twofactor
from core.forms import TwoFactorDisableForm, TwoFactorEnableForm
from core.i18n import _
from core.services import ServiceError

# The name of a session key, not a secret.
SETUP_SECRET = "_2fa_setup_secret"  # noqa: S105  # nosec B105


def setup_page(endpoint: str, template: str):
    """GET shows the QR code of a new secret (kept in the session until confirmed); POST enables."""
    user = current_user._get_current_object()
    enable_form, disable_form = TwoFactorEnableForm(prefix="enable"), TwoFactorDisableForm(prefix="disable")
    recovery_codes = None
    if not user.totp_secret:
        secret = session.get(SETUP_SECRET) or twofactor.new_secret()
        session[SETUP_SECRET] = secret
        if enable_form.validate_on_submit():
            try:
                recovery_codes = twofactor.enable(user, secret, enable_form.code.data)
            except ServiceError as exc:
                enable_form.code.errors.append(str(exc))
            else:
                session.pop(SETUP_SECRET, None)
                flash(_("Two-factor login is on. Keep your recovery codes somewhere safe."), "success")
    else:
        secret = None
    uri = twofactor.provisioning_uri(user, secret) if secret and recovery_codes is None else None
    return render_template(
        template,
        enabled=bool(user.totp_secret),
        secret=secret if uri else None,
        qr=twofactor.qr_data_uri(uri) if uri else None,
        recovery_codes=recovery_codes,
        enable_form=enable_form,
        disable_form=disable_form,
        disable_url=url_for(endpoint, action="disable"),
    )


def disable_action(endpoint: str):
    """POST: turn two-factor login off with the password and a code; a missing field is flashed."""
    form = TwoFactorDisableForm(prefix="disable")
    if not form.validate_on_submit():  # the route takes POST only: a field is missing or too long
        flash(_("Enter your password and a code from your app (or a recovery code)."), "danger")
    else:
        try:
            twofactor.disable(current_user._get_current_object(), form.password.data, form.code.data)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Two-factor login is off."), "info")
    return redirect(url_for(endpoint))
