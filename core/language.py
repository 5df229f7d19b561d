"""The language switcher: one small form in every page's navigation bar.

Anyone may switch (the login page too); the choice is kept in the session, and for a logged-in
contact or staff member it is also saved as their language, so the emails they receive follow it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from core.i18n import LANGUAGES, _l
from core.security import safe_next
from core.services.accounts import set_language

bp = Blueprint("language", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])
    next = HiddenField()


@bp.route("/language", methods=["POST"])
def switch():
    """Switch the language; an unknown code or a forged form changes nothing."""
    form = LanguageForm()
    back = safe_next(form.next.data) or safe_next(request.referrer and _local_path(request.referrer))
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            set_language(current_user._get_current_object(), form.language.data)
    return redirect(back or url_for("portal.index"))


def _local_path(url: str) -> str | None:
    """The path and query of ``url`` when it points at this site, else None."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
