"""Proposals."""

from __future__ import annotations

from flask import render_template

from core.models import Proposal
from core.pagination import paginate

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("proposals", __name__, "proposals")


@bp.route("/proposals")
def index():
    stmt = scoped(Proposal).where(Proposal.status != "draft").order_by(Proposal.date.desc(), Proposal.id.desc())
    page = paginate(stmt)
    return render_template("portal/proposals/index.html", page=page)


@bp.route("/proposals/<int:proposal_id>")
def detail(proposal_id: int):
    proposal = owned_or_404(Proposal, proposal_id, condition=Proposal.status != "draft")
    return render_template("portal/proposals/detail.html", proposal=proposal)
