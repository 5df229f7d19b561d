"""Proposals in the admin area: the proposal with its comment thread."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.extensions import db
from core.models import Customer, Proposal, ProposalComment

from . import bp


@bp.route("/proposals/<int:proposal_id>")
def proposal_detail(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    comments = db.session.scalars(
        select(ProposalComment)
        .options(joinedload(ProposalComment.contact), joinedload(ProposalComment.staff))
        .where(ProposalComment.proposal_id == proposal.id)
        .order_by(ProposalComment.id)
    ).all()
    customer = db.session.get(Customer, proposal.customer_id)
    return render_template("admin/proposals/detail.html", proposal=proposal, customer=customer, comments=comments)
