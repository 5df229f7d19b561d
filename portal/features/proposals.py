"""Proposals: list, detail with the comment thread, the customer's one-time accept (signed) or
decline, and comments to staff."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core.i18n import _, _l
from core.models import Proposal, ProposalComment
from core.pagination import paginate
from core.services import ServiceError
from core.services.comments import thread
from core.services.decisions import COMMENT_MAX, COMMENT_TOO_LONG, add_proposal_comment

from .. import decisions
from ..decisions import AcceptForm
from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("proposals", __name__, "proposals")


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(message=_l("Write a comment first.")),
            Length(max=COMMENT_MAX, message=COMMENT_TOO_LONG),
        ],
    )


def _proposal(proposal_id: int) -> Proposal:
    return owned_or_404(Proposal, proposal_id, condition=Proposal.visible_to_customer)


@bp.route("/proposals")
def index():
    stmt = scoped(Proposal).where(Proposal.visible_to_customer).order_by(Proposal.date.desc(), Proposal.id.desc())
    return render_template("portal/proposals/index.html", page=paginate(stmt))


def _detail_page(proposal: Proposal, *, accept_form: AcceptForm | None = None, comment_form: CommentForm | None = None):
    return render_template(
        "portal/proposals/detail.html",
        proposal=proposal,
        comments=thread(ProposalComment, proposal.id),
        **decisions.page_context(proposal, accept_form),
        comment_form=comment_form or CommentForm(),
    )


@bp.route("/proposals/<int:proposal_id>")
def detail(proposal_id: int):
    return _detail_page(_proposal(proposal_id))


def _done(proposal: Proposal, accept: bool) -> tuple[str, str]:
    return (_("Thank you: the proposal is accepted.") if accept else _("The proposal is declined.")), "success"


@bp.route("/proposals/<int:proposal_id>/accept", methods=["POST"])
def accept(proposal_id: int):
    proposal = _proposal(proposal_id)
    return decisions.accept(proposal, page=_detail_page, done=_done, url=_url(proposal))


@bp.route("/proposals/<int:proposal_id>/decline", methods=["POST"])
def decline(proposal_id: int):
    proposal = _proposal(proposal_id)
    return decisions.decline(proposal, done=_done, url=_url(proposal))


def _url(proposal: Proposal, **anchor) -> str:
    return url_for("portal.proposals.detail", proposal_id=proposal.id, **anchor)


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
    return redirect(_url(proposal, _anchor="comments"))
