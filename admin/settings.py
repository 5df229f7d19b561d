"""Administrator settings: the default permissions of a new contact."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from core.services.reminders import REMINDER_SETTINGS
from core.services.reminders import setting as reminder_setting
from core.services.settings import default_contact_permissions, set_default_contact_permissions, set_settings

from . import bp
from .forms import DefaultPermissionsForm


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = DefaultPermissionsForm()
    if form.validate_on_submit():
        set_default_contact_permissions(form.permissions())
        set_settings({key: form[key].data for key in REMINDER_SETTINGS})
        flash("Settings saved.", "success")
        return redirect(url_for("admin.settings"))
    if request.method == "GET":
        defaults = default_contact_permissions()
        for key in defaults:
            form[f"perm_{key}"].data = True
        for key in REMINDER_SETTINGS:
            form[key].data = reminder_setting(key)
    return render_template("admin/settings.html", form=form, reminder_keys=list(REMINDER_SETTINGS))
