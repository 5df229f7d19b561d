"""Milestones, files and discussions of a project in the admin area."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.files import serve, upload_folder
from core.formposts import field_values, post_and_redirect, run_form
from core.i18n import _
from core.models import Customer, Discussion, DiscussionComment, Milestone, Project, StoredFile
from core.notifications.notify import event_recipients
from core.services.comments import thread
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
from .forms import CommentForm, DeleteForm, DiscussionForm, FileForm, MilestoneForm


def _to_project(project_id: int, anchor: str) -> str:
    return url_for("admin.project_detail", project_id=project_id, _anchor=anchor)


def _to_milestones(project_id: int) -> str:
    return _to_project(project_id, "milestones")


def _milestone(form: MilestoneForm) -> dict:
    return field_values(form, "name", "description", "due_date", "visible_to_customer")


# -- milestones ------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/milestones", methods=["POST"])
def milestone_new(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = MilestoneForm()
    added = _("Milestone added.")
    return post_and_redirect(
        form, lambda: add_milestone(project, **_milestone(form)), added, _to_milestones(project.id)
    )


@bp.route("/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
def milestone_edit(milestone_id: int):
    milestone = db.get_or_404(Milestone, milestone_id)
    form = MilestoneForm(obj=milestone)
    if run_form(form, lambda: update_milestone(milestone, **_milestone(form)), _("Milestone saved.")):
        return redirect(_to_milestones(milestone.project_id))
    project = db.session.get(Project, milestone.project_id)
    return render_template("admin/projects/milestone.html", form=form, milestone=milestone, project=project)


@bp.route("/milestones/<int:milestone_id>/delete", methods=["POST"])
def milestone_delete(milestone_id: int):
    milestone = db.get_or_404(Milestone, milestone_id)
    project_id = milestone.project_id
    if DeleteForm().validate_on_submit():
        delete_milestone(milestone)
        flash(_("Milestone deleted."), "success")
    return redirect(_to_milestones(project_id))


# -- files -----------------------------------------------------------------------------------


def _project_file_or_404(project_id: int, file_id: int) -> StoredFile:
    return db.first_or_404(select(StoredFile).where(StoredFile.id == file_id, StoredFile.project_id == project_id))


def _uploaded(stored: StoredFile) -> str:
    return _("%(name)s is uploaded.", name=stored.original_name)


@bp.route("/projects/<int:project_id>/files", methods=["POST"])
def project_file_upload(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = FileForm()
    return post_and_redirect(
        form,
        lambda: add_project_file(
            project,
            form.file.data,
            author=current_user,
            visible_to_customer=form.visible_to_customer.data,
            notify=form.emails_customer,
        ),
        _uploaded,
        _to_project(project.id, "files"),
    )


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
    return redirect(_to_project(project_id, "files"))


# -- discussions -----------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/discussions", methods=["POST"])
def discussion_new(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = DiscussionForm()
    fields = field_values(form, "subject", "description", "visible_to_customer")
    done = run_form(form, lambda: start_discussion(project, **fields), _("Discussion started."), flash_invalid=True)
    if done:
        return redirect(url_for("admin.discussion_detail", discussion_id=done.result.id))
    return redirect(_to_project(project.id, "discussions"))


def thread_page(template: str, project: Project, customer_sees: bool, comments: list, event: str, **item):
    """A task's or discussion's page: the item, its project and customer, its comments and the
    form, with who a comment emails (``event``) when the customer sees the item."""
    customer = db.session.get(Customer, project.customer_id)
    form = CommentForm(formdata=None)
    emailed = event_recipients(event, project.customer_id) if customer_sees else []
    return render_template(
        template,
        project=project,
        customer=customer,
        customer_sees=customer_sees,
        comments=comments,
        form=form,
        emailed=emailed,
        **item,
    )


@bp.route("/discussions/<int:discussion_id>")
def discussion_detail(discussion_id: int):
    discussion = db.get_or_404(Discussion, discussion_id)
    project = db.session.get(Project, discussion.project_id)
    customer_sees = discussion.visible_to_customer and "view_discussions" in project_settings(project)
    comments = thread(DiscussionComment, discussion.id)
    return thread_page(
        "admin/projects/discussion.html", project, customer_sees, comments, "project_discussion", discussion=discussion
    )


@bp.route("/discussions/<int:discussion_id>/comments", methods=["POST"])
def discussion_comment_new(discussion_id: int):
    discussion = db.get_or_404(Discussion, discussion_id)
    form = CommentForm()
    return post_and_redirect(
        form,
        lambda: add_discussion_comment(discussion, form.body.data, author=current_user, notify=form.emails_customer),
        _("Comment added."),
        url_for("admin.discussion_detail", discussion_id=discussion.id),
    )
