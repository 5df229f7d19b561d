"""Proposals: list, detail with the comment thread, the customer's one-time accept (signed) or
decline, and comments to staff."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core.forms import name_field
from core.i18n import _, _l
from core.models import Proposal
from core.pagination import paginate
from core.services import ServiceError
from core.services.decisions import (
    COMMENT_MAX,
    SIGNER_NAME_MAX,
    add_proposal_comment,
    decide_proposal,
    proposal_comments,
    proposal_is_open,
)

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("proposals", __name__, "proposals")

# Drafts are staff work in progress: the customer never sees them, not even by id.
VISIBLE = Proposal.status != "draft"


class AcceptForm(FlaskForm):
    signer_name = name_field(_l("Your full name"), max_length=SIGNER_NAME_MAX)


class DeclineForm(FlaskForm):
    """Only the CSRF token: declining needs no signature."""


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(message=_l("Write a comment first.")),
            Length(max=COMMENT_MAX, message=_l("A comment can have at most %(max)d characters.", max=COMMENT_MAX)),
        ],
    )


def _proposal(proposal_id: int) -> Proposal:
    return owned_or_404(Proposal, proposal_id, condition=VISIBLE)


@bp.route("/proposals")
def index():
    stmt = scoped(Proposal).where(VISIBLE).order_by(Proposal.date.desc(), Proposal.id.desc())
    return render_template("portal/proposals/index.html", page=paginate(stmt))


def _detail_page(proposal: Proposal, *, accept_form: AcceptForm | None = None, comment_form: CommentForm | None = None):
    return render_template(
        "portal/proposals/detail.html",
        proposal=proposal,
        comments=proposal_comments(proposal),
        can_decide=proposal_is_open(proposal, date.today()),
        accept_form=accept_form or AcceptForm(),
        decline_form=DeclineForm(),
        comment_form=comment_form or CommentForm(),
    )


@bp.route("/proposals/<int:proposal_id>")
def detail(proposal_id: int):
    return _detail_page(_proposal(proposal_id))


def _decide(proposal: Proposal, *, accept: bool, signer_name: str | None):
    try:
        decide_proposal(
            proposal,
            current_user._get_current_object(),
            accept=accept,
            signer_name=signer_name,
            ip=request.remote_addr,
            today=date.today(),
        )
    except ServiceError as exc:
        flash(str(exc), "warning")
    else:
        flash(_("Thank you: the proposal is accepted.") if accept else _("The proposal is declined."), "success")
    return redirect(url_for("portal.proposals.detail", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
def accept(proposal_id: int):
    proposal = _proposal(proposal_id)
    form = AcceptForm()
    # Once decided (e.g. a second submit), the service says so, whatever the form holds.
    if form.validate_on_submit() or not proposal_is_open(proposal, date.today()):
        return _decide(proposal, accept=True, signer_name=form.signer_name.data)
    return _detail_page(proposal, accept_form=form)


@bp.route("/proposals/<int:proposal_id>/decline", methods=["POST"])
def decline(proposal_id: int):
    proposal = _proposal(proposal_id)
    if not DeclineForm().validate_on_submit():
        return redirect(url_for("portal.proposals.detail", proposal_id=proposal.id))
    return _decide(proposal, accept=False, signer_name=None)


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
def comment(proposal_id: int):
    proposal = _proposal(proposal_id)
    form = CommentForm()
    if not form.validate_on_submit():
        return _detail_page(proposal, comment_form=form)
    try:
        add_proposal_comment(proposal, current_user._get_current_object(), form.body.data)
    except ServiceError as exc:
        flash(str(exc), "warning")
    else:
        flash(_("Your comment is posted; we will get back to you."), "success")
    return redirect(url_for("portal.proposals.detail", proposal_id=proposal.id, _anchor="comments"))
