"""Proposals in the admin area: create, edit, delete drafts, and the comment thread (the list is
``admin.sales.lists``'s, like every kind's)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.extensions import db
from core.forms import flash_errors
from core.i18n import _
from core.labels import label
from core.models import PROPOSAL_STATUSES, Customer, Project, Proposal, ProposalComment
from core.services import ServiceError
from core.services.comments import thread
from core.services.documents import (
    add_proposal_comment,
    agreement_delete_refused,
    agreement_edit_refused,
    create_proposal,
    delete_agreement,
    update_proposal,
)

from . import bp
from .sales.edit import agreement_edit_form, agreement_page, creating, updating
from .sales.forms import ConfirmForm, ProposalCommentForm, ProposalForm, chosen_customer_id, fill_choices

PROPOSAL = DOCUMENT_KINDS_BY_KEY["proposal"]
PROPOSAL_FORM = "admin/proposals/form.html"


def status_choices() -> list[SelectChoice]:
    """The status options, labelled in the reader's language."""
    return [SelectChoice(s, label(s)) for s in PROPOSAL_STATUSES]


@bp.route("/proposals/<int:proposal_id>")
def proposal_detail(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    return _detail_page(proposal, ProposalCommentForm())


def _detail_page(proposal: Proposal, comment_form: ProposalCommentForm):
    return render_template(
        "admin/proposals/detail.html",
        proposal=proposal,
        customer=db.session.get(Customer, proposal.customer_id),
        project=db.session.get(Project, proposal.project_id) if proposal.project_id else None,
        comments=thread(ProposalComment, proposal.id),
        comment_form=comment_form,
        confirm_form=ConfirmForm(),
        edit_refused=agreement_edit_refused(proposal),
        delete_refused=agreement_delete_refused(proposal),
    )


@bp.route("/proposals/<int:proposal_id>/comments", methods=["POST"])
def proposal_comment(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = ProposalCommentForm()
    if form.validate_on_submit():
        try:
            add_proposal_comment(proposal, current_user, form.body.data)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Comment added."), "success")
            return redirect(url_for("admin.proposal_detail", proposal_id=proposal.id) + "#comments")
    # Shown again with the text kept, so a refused comment is not lost.
    return _detail_page(proposal, form)


@bp.route("/proposals/new", methods=["GET", "POST"])
def proposal_new():
    form = ProposalForm()
    customer_id = chosen_customer_id(form, request.args.get("customer_id"))
    fill_choices(form, customer_id)
    form.status.choices = status_choices()
    if request.method == "GET":
        form.status.data = "draft"
        form.start(db.session.get(Customer, customer_id) if customer_id else None)
    return agreement_page(PROPOSAL, PROPOSAL_FORM, form, creating(create_proposal, form))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
def proposal_edit(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = agreement_edit_form(ProposalForm, proposal)
    form.status.choices = status_choices()
    return agreement_page(PROPOSAL, PROPOSAL_FORM, form, updating(update_proposal, proposal), proposal)


@bp.route("/proposals/<int:proposal_id>/delete", methods=["POST"])
def proposal_delete(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash_errors(form)
        return redirect(url_for("admin.proposal_detail", proposal_id=proposal.id))
    try:
        delete_agreement(proposal, actor=current_user)
    except ServiceError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.proposal_detail", proposal_id=proposal.id))
    flash(_("Proposal deleted."), "success")
    return redirect(url_for("admin.proposals"))
