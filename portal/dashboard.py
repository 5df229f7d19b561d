"""The contact's dashboard: one panel per permitted feature."""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_login import current_user

from core.services.portal_summary import dashboard_summary

from . import bp


@bp.route("/dashboard")
def dashboard():
    summary = dashboard_summary(current_user, date.today())
    return render_template("portal/dashboard.html", summary=summary)
