"""Staff management (administrators only): list, create (with its language), role and active flag."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from core.extensions import db
from core.formposts import field_values, run_form
from core.forms import email_field, name_field, strong_password
from core.i18n import LANGUAGES, _, _l
from core.models import StaffUser
from core.services.accounts import create_staff
from core.services.staff import set_role_and_active

from . import bp


class StaffForm(FlaskForm):
    name = name_field(_l("Name"), 120)
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(), strong_password])
    is_admin = BooleanField(
        _l("Administrator"), description=_l("May change contact access, settings, staff and the audit log")
    )
    # The language of the admin pages and emails of the new staff member (they can switch it later).
    language = SelectField(
        _l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()], default="en"
    )


class RoleForm(FlaskForm):
    is_admin = BooleanField(_l("Administrator"))
    active = BooleanField(_l("Active"))


@bp.route("/staff", methods=["GET", "POST"])
def staff_list():
    form = StaffForm()
    options = field_values(form, "is_admin", "language")
    if run_form(
        form,
        lambda: create_staff(form.email.data, form.name.data, form.password.data, **options),
        _("Staff member created."),
    ):
        return redirect(url_for("admin.staff_list"))
    members = db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)).all()
    return render_template("admin/staff/index.html", members=members, form=form)


@bp.route("/staff/<int:staff_id>/role", methods=["POST"])
def staff_role(staff_id: int):
    member = db.get_or_404(StaffUser, staff_id)
    form = RoleForm()
    actor = current_user._get_current_object()
    run_form(
        form,
        lambda: set_role_and_active(member, **field_values(form, "is_admin", "active"), actor=actor),
        _("%(name)s saved.", name=member.name),
    )
    return redirect(url_for("admin.staff_list"))
