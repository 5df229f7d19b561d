"""API tokens (administrators only): list, create (the token is shown once), revoke."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from core.api_scopes import READ, RESOURCE_GROUPS, WRITE, scopes_for
from core.extensions import db
from core.forms import name_field
from core.i18n import _, _l
from core.models import ApiToken, utcnow
from core.services import ServiceError
from core.services.api_tokens import create_token, revoke_token, tokens_newest_first

from . import bp

EXPIRY_CHOICES = (
    ("30", _l("30 days")),
    ("90", _l("90 days")),
    ("365", _l("1 year")),
    ("never", _l("Never")),
)
ACCESS_CHOICES = (("", _l("No access")), (READ, _l("Read")), (WRITE, _l("Read and write")))


class ApiTokenForm(FlaskForm):
    name = name_field(_l("Name"), 120)
    expires = SelectField(
        _l("Expires after"), choices=[SelectChoice(v, label) for v, label in EXPIRY_CHOICES], default="90"
    )

    def scopes(self) -> frozenset[str]:
        return scopes_for({group.key: self[f"access_{group.key}"].data or None for group in RESOURCE_GROUPS})

    def expires_at(self):
        days = self.expires.data
        return None if days == "never" else utcnow() + timedelta(days=int(days))


# One access choice per resource group of the catalog.
for _group in RESOURCE_GROUPS:
    setattr(
        ApiTokenForm,
        f"access_{_group.key}",
        SelectField(
            _group.label,
            description=_group.description,
            choices=[SelectChoice(v, label) for v, label in ACCESS_CHOICES],
            default="",
        ),
    )


class RevokeForm(FlaskForm):
    pass


@bp.route("/api-tokens", methods=["GET", "POST"])
def api_tokens():
    """The token list and the new-token form; a created token is shown on this answer only."""
    form = ApiTokenForm()
    created = secret = None
    if form.validate_on_submit():
        try:
            created, secret = create_token(
                form.name.data, form.scopes(), form.expires_at(), actor=current_user._get_current_object()
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            form = ApiTokenForm(formdata=None)
    tokens = db.session.scalars(tokens_newest_first().options(joinedload(ApiToken.created_by))).all()
    return render_template(
        "admin/api_tokens/index.html",
        form=form,
        tokens=tokens,
        created=created,
        secret=secret,
        now=utcnow(),
        groups=RESOURCE_GROUPS,
        revoke_form=RevokeForm(),
    )


@bp.route("/api-tokens/<int:token_id>/revoke", methods=["POST"])
def api_token_revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if RevokeForm().validate_on_submit():
        revoke_token(token, actor=current_user._get_current_object())
        flash(_("Token %(name)s revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("admin.api_tokens"))
