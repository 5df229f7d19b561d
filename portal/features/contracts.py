"""Contracts."""

from __future__ import annotations

from flask import render_template

from core.models import Contract
from core.pagination import paginate

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("contracts", __name__, "contracts")


@bp.route("/contracts")
def index():
    stmt = scoped(Contract).order_by(Contract.start_date.desc(), Contract.id.desc())
    page = paginate(stmt)
    return render_template("portal/contracts/index.html", page=page)


@bp.route("/contracts/<int:contract_id>")
def detail(contract_id: int):
    return render_template("portal/contracts/detail.html", contract=owned_or_404(Contract, contract_id))
