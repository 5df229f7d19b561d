"""Administrator settings: the default permissions of a new contact, reminder timing, the
customer-area switches (ticket visibility, primary contacts managing colleagues) and the
company's bank account for transfers."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from wtforms import BooleanField

from core.i18n import _, _l
from core.payments import CARD_PAYMENTS_ENABLED, PARTIAL_PAYMENTS_ALLOWED, PAY_SEVERAL_INVOICES, stripe_configured
from core.services.bank_details import BANK_KEYS, bank_details
from core.services.reminders import REMINDER_SETTINGS
from core.services.reminders import setting as reminder_setting
from core.services.settings import (
    CONTACTS_SEE_ALL_TICKETS,
    PRIMARY_MANAGES_CONTACTS,
    REQUIRE_STAFF_TWO_FACTOR,
    SIGN_IN_LINKS,
    default_contact_permissions,
    get_bool_setting,
    set_default_contact_permissions,
    set_settings,
)

from . import bp
from .forms import BankDetailsFields, DefaultPermissionsForm

# Yes/no settings shown as checkboxes: setting key -> label. Stored as "1" / "0".
SWITCHES = {
    CONTACTS_SEE_ALL_TICKETS: _l("Contacts see all tickets of their company"),
    PRIMARY_MANAGES_CONTACTS: _l("Primary contacts may manage their colleagues"),
    REQUIRE_STAFF_TWO_FACTOR: _l("Require staff to use a passkey or an authenticator app (two-factor login)"),
    # One switch for both login pages (core/services/sign_in_links.py).
    SIGN_IN_LINKS: _l(
        "Contacts and staff may sign in with a link emailed to them, on both login pages (valid 15 minutes, single use)"
    ),
}

# Card payments (core/payments): on by default once Stripe is configured; partial payments off.
CARD_SWITCHES = {
    CARD_PAYMENTS_ENABLED: (_l("Contacts may pay invoices by card (when Stripe is configured)"), True),
    PARTIAL_PAYMENTS_ALLOWED: (_l("Contacts may pay part of an invoice's balance by card"), False),
    PAY_SEVERAL_INVOICES: (_l("Contacts may pay several open invoices at once"), False),
}


class SettingsForm(DefaultPermissionsForm, BankDetailsFields):
    pass


for _key, _label in SWITCHES.items():
    setattr(SettingsForm, _key, BooleanField(_label))
for _key, (_label, _default) in CARD_SWITCHES.items():
    setattr(SettingsForm, _key, BooleanField(_label))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm()
    if form.validate_on_submit():
        set_default_contact_permissions(form.permissions())
        set_settings(
            {
                **{key: form[key].data for key in REMINDER_SETTINGS},
                # An unchecked box is simply not posted: it means "no".
                **{key: "1" if form[key].data else "0" for key in (*SWITCHES, *CARD_SWITCHES)},
                **form.bank_details().as_settings(),
            }
        )
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.settings"))
    if request.method == "GET":
        defaults = default_contact_permissions()
        for key in defaults:
            form[f"perm_{key}"].data = True
        for key in REMINDER_SETTINGS:
            form[key].data = reminder_setting(key)
        for key in SWITCHES:
            form[key].data = get_bool_setting(key)
        for key, value in bank_details().as_settings().items():
            form[key].data = value
        for key, (_text, default) in CARD_SWITCHES.items():
            form[key].data = get_bool_setting(key, default)
    return render_template(
        "admin/settings.html",
        form=form,
        reminder_keys=list(REMINDER_SETTINGS),
        switch_keys=list(SWITCHES),
        bank_keys=list(BANK_KEYS),
        card_keys=list(CARD_SWITCHES),
        stripe_configured=stripe_configured(),
        webhook_secret_set=bool(current_app.config.get("STRIPE_WEBHOOK_SECRET")),
    )
