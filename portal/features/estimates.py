"""Estimates: list, detail, PDF, and the customer's one-time accept (signed) or decline."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from core.i18n import _
from core.models import Estimate
from core.pagination import paginate
from core.pdf import document_pdf, pdf_download, pdf_filename

from .. import decisions
from ..decisions import AcceptForm
from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("estimates", __name__, "estimates")


def _estimate(estimate_id: int) -> Estimate:
    return owned_or_404(Estimate, estimate_id, selectinload(Estimate.items), condition=Estimate.visible_to_customer)


@bp.app_template_global()
def estimate_status(estimate: Estimate) -> str:
    """The estimate's status as the customer sees it (a sent estimate past expiry is expired)."""
    return estimate.display_status(date.today())


@bp.route("/estimates")
def index():
    stmt = scoped(Estimate).where(Estimate.visible_to_customer).order_by(Estimate.date.desc(), Estimate.id.desc())
    return render_template("portal/estimates/index.html", page=paginate(stmt))


def _detail_page(estimate: Estimate, accept_form: AcceptForm | None = None):
    return render_template(
        "portal/estimates/detail.html",
        estimate=estimate,
        **decisions.page_context(estimate, accept_form),
    )


@bp.route("/estimates/<int:estimate_id>")
def detail(estimate_id: int):
    return _detail_page(_estimate(estimate_id))


@bp.route("/estimates/<int:estimate_id>/pdf")
def estimate_pdf(estimate_id: int):
    estimate = _estimate(estimate_id)
    data = document_pdf("estimate", estimate, current_user.customer, current_app.config["COMPANY_NAME"])
    return pdf_download(data, pdf_filename("estimate", estimate))


def _done(estimate: Estimate, accept: bool) -> tuple[str, str]:
    if accept:
        return _("Thank you: estimate %(number)s is accepted.", number=estimate.number), "success"
    return _("Estimate %(number)s is declined.", number=estimate.number), "info"


@bp.route("/estimates/<int:estimate_id>/accept", methods=["POST"])
def accept(estimate_id: int):
    estimate = _estimate(estimate_id)
    return decisions.accept(estimate, page=_detail_page, done=_done, url=_url(estimate))


@bp.route("/estimates/<int:estimate_id>/decline", methods=["POST"])
def decline(estimate_id: int):
    estimate = _estimate(estimate_id)
    return decisions.decline(estimate, done=_done, url=_url(estimate))


def _url(estimate: Estimate) -> str:
    return url_for("portal.estimates.detail", estimate_id=estimate.id)
