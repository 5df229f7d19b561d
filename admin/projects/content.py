"""Milestones, files and discussions of a project in the admin area."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.extensions import db
from core.files import serve, upload_folder
from core.i18n import _
from core.models import Customer, Discussion, DiscussionComment, Milestone, Project, StoredFile
from core.services import ServiceError
from core.services.projects import (
    add_discussion_comment,
    add_milestone,
    add_project_file,
    delete_milestone,
    delete_project_file,
    project_settings,
    start_discussion,
    update_milestone,
)

from .. import bp
from .forms import CommentForm, DeleteForm, DiscussionForm, FileForm, MilestoneForm, flash_errors


def _to_project(project_id: int, anchor: str):
    return redirect(url_for("admin.project_detail", project_id=project_id, _anchor=anchor))


# -- milestones ------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/milestones", methods=["POST"])
def milestone_new(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            add_milestone(
                project,
                name=form.name.data,
                description=form.description.data,
                due_date=form.due_date.data,
                visible_to_customer=form.visible_to_customer.data,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Milestone added."), "success")
    else:
        flash_errors(form)
    return _to_project(project.id, "milestones")


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
def milestone_edit(milestone_id: int):
    milestone = db.get_or_404(Milestone, milestone_id)
    form = MilestoneForm(obj=milestone)
    if form.validate_on_submit():
        try:
            update_milestone(
                milestone,
                name=form.name.data,
                description=form.description.data,
                due_date=form.due_date.data,
                visible_to_customer=form.visible_to_customer.data,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Milestone saved."), "success")
            return _to_project(milestone.project_id, "milestones")
    project = db.session.get(Project, milestone.project_id)
    return render_template("admin/projects/milestone.html", form=form, milestone=milestone, project=project)


@bp.route("/milestones/<int:milestone_id>/delete", methods=["POST"])
def milestone_delete(milestone_id: int):
    milestone = db.get_or_404(Milestone, milestone_id)
    project_id = milestone.project_id
    if DeleteForm().validate_on_submit():
        delete_milestone(milestone)
        flash(_("Milestone deleted."), "success")
    return _to_project(project_id, "milestones")


# -- files -----------------------------------------------------------------------------------


def _project_file_or_404(project_id: int, file_id: int) -> StoredFile:
    return db.first_or_404(select(StoredFile).where(StoredFile.id == file_id, StoredFile.project_id == project_id))


@bp.route("/projects/<int:project_id>/files", methods=["POST"])
def project_file_upload(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = FileForm()
    if form.validate_on_submit():
        try:
            stored = add_project_file(
                project, form.file.data, author=current_user, visible_to_customer=form.visible_to_customer.data
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("%(name)s is uploaded.", name=stored.original_name), "success")
    else:
        flash_errors(form)
    return _to_project(project.id, "files")


@bp.route("/projects/<int:project_id>/files/<int:file_id>")
def project_file(project_id: int, file_id: int):
    stored = _project_file_or_404(project_id, file_id)
    if not (upload_folder() / stored.stored_name).is_file():
        abort(404)
    return serve(stored)


@bp.route("/projects/<int:project_id>/files/<int:file_id>/delete", methods=["POST"])
def project_file_delete(project_id: int, file_id: int):
    stored = _project_file_or_404(project_id, file_id)
    if DeleteForm().validate_on_submit():
        delete_project_file(stored, staff=current_user)
        flash(_("File deleted."), "success")
    return _to_project(project_id, "files")


# -- discussions -----------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/discussions", methods=["POST"])
def discussion_new(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = DiscussionForm()
    if form.validate_on_submit():
        try:
            discussion = start_discussion(
                project,
                subject=form.subject.data,
                description=form.description.data,
                visible_to_customer=form.visible_to_customer.data,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Discussion started."), "success")
            return redirect(url_for("admin.discussion_detail", discussion_id=discussion.id))
    else:
        flash_errors(form)
    return _to_project(project.id, "discussions")


@bp.route("/discussions/<int:discussion_id>")
def discussion_detail(discussion_id: int):
    discussion = db.get_or_404(Discussion, discussion_id)
    project = db.session.get(Project, discussion.project_id)
    comments = db.session.scalars(
        select(DiscussionComment)
        .where(DiscussionComment.discussion_id == discussion.id)
        .options(selectinload(DiscussionComment.contact), selectinload(DiscussionComment.staff))
        .order_by(DiscussionComment.id)
    ).all()
    return render_template(
        "admin/projects/discussion.html",
        discussion=discussion,
        project=project,
        customer=db.session.get(Customer, project.customer_id),
        customer_sees=discussion.visible_to_customer and "view_discussions" in project_settings(project),
        comments=comments,
        form=CommentForm(formdata=None),
    )


@bp.route("/discussions/<int:discussion_id>/comments", methods=["POST"])
def discussion_comment_new(discussion_id: int):
    discussion = db.get_or_404(Discussion, discussion_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            add_discussion_comment(discussion, form.body.data, author=current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Comment added."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("admin.discussion_detail", discussion_id=discussion.id))
