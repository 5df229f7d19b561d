"""Estimates: list, detail, PDF, and the customer's one-time accept (signed) or decline."""

from __future__ import annotations

from datetime import date

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from core.forms import name_field
from core.i18n import _, _l
from core.models import Estimate
from core.pagination import paginate
from core.pdf import document_pdf, pdf_download, pdf_filename
from core.services import ServiceError
from core.services.decisions import SIGNER_NAME_MAX, decide_estimate, estimate_display_status, estimate_is_open

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("estimates", __name__, "estimates")

# Drafts are staff work in progress: the customer never sees them, not even by id.
VISIBLE = Estimate.status != "draft"


class AcceptForm(FlaskForm):
    signer_name = name_field(_l("Your full name"), max_length=SIGNER_NAME_MAX)


class DeclineForm(FlaskForm):
    """Only the CSRF token: declining needs no signature."""


def _estimate(estimate_id: int) -> Estimate:
    return owned_or_404(Estimate, estimate_id, selectinload(Estimate.items), condition=VISIBLE)


@bp.app_template_global()
def estimate_status(estimate: Estimate) -> str:
    """The estimate's status as the customer sees it (a sent estimate past expiry is expired)."""
    return estimate_display_status(estimate, date.today())


@bp.route("/estimates")
def index():
    stmt = scoped(Estimate).where(VISIBLE).order_by(Estimate.date.desc(), Estimate.id.desc())
    return render_template("portal/estimates/index.html", page=paginate(stmt))


def _detail_page(estimate: Estimate, accept_form: AcceptForm | None = None):
    return render_template(
        "portal/estimates/detail.html",
        estimate=estimate,
        can_decide=estimate_is_open(estimate, date.today()),
        accept_form=accept_form or AcceptForm(),
        decline_form=DeclineForm(),
    )


@bp.route("/estimates/<int:estimate_id>")
def detail(estimate_id: int):
    return _detail_page(_estimate(estimate_id))


@bp.route("/estimates/<int:estimate_id>/pdf")
def estimate_pdf(estimate_id: int):
    estimate = _estimate(estimate_id)
    data = document_pdf("estimate", estimate, current_user.customer, current_app.config["COMPANY_NAME"])
    return pdf_download(data, pdf_filename("estimate", estimate))


def _decide(estimate: Estimate, *, accept: bool, signer_name: str | None):
    try:
        decide_estimate(
            estimate,
            current_user._get_current_object(),
            accept=accept,
            signer_name=signer_name,
            ip=request.remote_addr,
            today=date.today(),
        )
    except ServiceError as exc:
        flash(str(exc), "warning")
    else:
        if accept:
            flash(_("Thank you: estimate %(number)s is accepted.", number=estimate.number), "success")
        else:
            flash(_("Estimate %(number)s is declined.", number=estimate.number), "info")
    return redirect(url_for("portal.estimates.detail", estimate_id=estimate.id))


@bp.route("/estimates/<int:estimate_id>/accept", methods=["POST"])
def accept(estimate_id: int):
    estimate = _estimate(estimate_id)
    form = AcceptForm()
    # Once decided (e.g. a second submit), the service says so, whatever the form holds.
    if form.validate_on_submit() or not estimate_is_open(estimate, date.today()):
        return _decide(estimate, accept=True, signer_name=form.signer_name.data)
    return _detail_page(estimate, accept_form=form)


@bp.route("/estimates/<int:estimate_id>/decline", methods=["POST"])
def decline(estimate_id: int):
    estimate = _estimate(estimate_id)
    if not DeclineForm().validate_on_submit():
        return redirect(url_for("portal.estimates.detail", estimate_id=estimate.id))
    return _decide(estimate, accept=False, signer_name=None)
