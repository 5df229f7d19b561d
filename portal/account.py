"""Contact login, logout and own profile."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from core.auth import is_contact
from core.catalogs import NOTIFICATIONS, notification_allowed
from core.formposts import run_form
from core.forms import PasswordChangeForm, name_field
from core.i18n import LANGUAGES, _, _l
from core.loginflow import CONTACT_LOGIN, code_page, password_page
from core.services import ServiceError, impersonation
from core.services.accounts import change_contact_password, end_sessions, update_own_profile
from core.services.contacts import set_own_notifications
from core.throttle import login_throttled, second_step_throttled
from core.twofactor_views import disable_action, setup_page

from . import bp


class NotificationPrefsForm(FlaskForm):
    """One checkbox per notification type; only those of permitted features are shown."""


for _n in NOTIFICATIONS:
    setattr(NotificationPrefsForm, _n.key, BooleanField(_n.label, description=_n.description))


class ProfileForm(FlaskForm):
    first_name = name_field(_l("First name"))
    last_name = name_field(_l("Last name"))
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])


@bp.route("/")
def index():
    if is_contact(current_user):
        return redirect(url_for("portal.dashboard"))
    return redirect(url_for("portal.login"))


@bp.route("/login", methods=["GET", "POST"])
@login_throttled
def login():
    return password_page(CONTACT_LOGIN)


@bp.route("/login/verify", methods=["GET", "POST"])
@second_step_throttled
def login_verify():
    return code_page(CONTACT_LOGIN)


@bp.route("/logout", methods=["POST"])
def logout():
    # Staff viewing the portal as a contact must not log the real contact out everywhere.
    if is_contact(current_user) and impersonation.impersonator() is None:
        end_sessions(current_user)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("portal.login"))


@bp.route("/return-to-admin", methods=["POST"])
def return_to_admin():
    contact = current_user._get_current_object()
    if impersonation.stop(contact) is None:
        abort(403)
    flash(_("You are back in the admin area."), "info")
    return redirect(url_for("admin.customer_contacts", customer_id=contact.customer_id))


def _profile_page(form=None, password_form=None, notifications_form=None):
    contact = current_user
    if notifications_form is None:
        notifications_form = NotificationPrefsForm(prefix="notify")
        for n in NOTIFICATIONS:
            notifications_form[n.key].data = contact.wants(n.key)
    return render_template(
        "portal/profile.html",
        form=form or ProfileForm(obj=contact, prefix="profile"),
        password_form=password_form or PasswordChangeForm(prefix="password"),
        notifications_form=notifications_form,
        own_notifications=[n for n in NOTIFICATIONS if notification_allowed(n.key, contact.permissions)],
    )


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user, prefix="profile")
    details = (form.first_name.data, form.last_name.data, form.phone.data, form.language.data)
    if run_form(form, lambda: update_own_profile(current_user, *details), _("Your details are saved.")):
        return redirect(url_for("portal.profile"))
    return _profile_page(form=form)


@bp.route("/profile/password", methods=["POST"])
def change_password():
    form = PasswordChangeForm(prefix="password")
    if form.validate_on_submit():
        try:
            change_contact_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            form.current_password.errors.append(str(exc))
        else:
            # The token rotated: log this session in again (with the real object, not the proxy),
            # so it stays valid while every other session ends.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed."), "success")
            return redirect(url_for("portal.profile"))
    return _profile_page(password_form=form)


@bp.route("/profile/notifications", methods=["POST"])
def notification_preferences():
    form = NotificationPrefsForm(prefix="notify")
    chosen = {n.key for n in NOTIFICATIONS if form[n.key].data}
    if run_form(form, lambda: set_own_notifications(current_user, chosen), _("Your email preferences are saved.")):
        return redirect(url_for("portal.profile"))
    return _profile_page(notifications_form=form)


@bp.route("/profile/two-factor", methods=["GET", "POST"], defaults={"action": None})
@bp.route("/profile/two-factor/<any(disable):action>", methods=["POST"])
def two_factor(action):
    if action == "disable":
        return disable_action("portal.two_factor")
    return setup_page("portal.two_factor", "portal/two_factor.html")
