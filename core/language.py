"""The language switcher: one small form in every page's navigation bar.

Anyone may switch (the login page too); the choice is kept in the session, and for a logged-in
contact or staff member it is also saved as their language, so the emails they receive follow it.
"""

from __future__ import annotations

from flask import Blueprint, redirect, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from core.i18n import LANGUAGES, _l
from core.security import referrer_path, safe_next
from core.services import impersonation
from core.services.accounts import set_language

bp = Blueprint("language", __name__)


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()])
    next = HiddenField()


@bp.route("/language", methods=["POST"])
def switch():
    """Switch the language; an unknown code or a forged form changes nothing."""
    form = LanguageForm()
    back = safe_next(form.next.data) or referrer_path()
    if form.validate_on_submit():
        session["language"] = form.language.data
        # Staff viewing the customer area as a contact switch their page only, not the
        # contact's saved language (which its emails follow).
        if current_user.is_authenticated and not impersonation.active():
            set_language(current_user._get_current_object(), form.language.data)
    return redirect(back or url_for("portal.index"))
