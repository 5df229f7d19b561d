"""Estimates."""

from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import selectinload

from core.models import Estimate
from core.pagination import paginate

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("estimates", __name__, "estimates")


@bp.route("/estimates")
def index():
    stmt = scoped(Estimate).where(Estimate.status != "draft").order_by(Estimate.date.desc(), Estimate.id.desc())
    page = paginate(stmt)
    return render_template("portal/estimates/index.html", page=page)


@bp.route("/estimates/<int:estimate_id>")
def detail(estimate_id: int):
    estimate = owned_or_404(Estimate, estimate_id, selectinload(Estimate.items), condition=Estimate.status != "draft")
    return render_template("portal/estimates/detail.html", estimate=estimate)
