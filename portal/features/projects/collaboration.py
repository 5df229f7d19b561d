"""A project's milestones, files and discussions tabs."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from core.extensions import db
from core.files import serve, upload_folder
from core.formposts import post_and_redirect
from core.i18n import _
from core.models import Discussion, DiscussionComment, Milestone, Project, StoredFile
from core.pagination import paginate
from core.services.comments import thread
from core.services.projects import add_discussion_comment, add_project_file

from . import bp
from .access import open_tab, shared_item_or_404, shared_items
from .forms import CommentForm, UploadForm

# -- milestones ------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/milestones")
def milestones(project_id: int):
    view = open_tab(project_id, "milestones")
    stmt = shared_items(Milestone, view.project).order_by(
        Milestone.due_date.is_(None), Milestone.due_date, Milestone.id
    )
    return render_template("portal/projects/milestones.html", view=view, page=paginate(stmt))


# -- files -----------------------------------------------------------------------------------


def _visible_files(project: Project):
    # Through the project (already scoped to the contact's customer), and the customer id
    # again, so a file of another project or customer is never reachable via this URL.
    return select(StoredFile).where(
        StoredFile.project_id == project.id,
        StoredFile.customer_id == project.customer_id,
        StoredFile.visible_to_customer,
    )


@bp.route("/projects/<int:project_id>/files")
def files(project_id: int):
    view = open_tab(project_id, "files")
    page = paginate(_visible_files(view.project).order_by(StoredFile.created_at.desc(), StoredFile.id.desc()))
    form = UploadForm() if view.allows("upload_files") else None
    return render_template("portal/projects/files.html", view=view, page=page, form=form)


@bp.route("/projects/<int:project_id>/files", methods=["POST"])
def file_upload(project_id: int):
    view = open_tab(project_id, "files", action="upload_files")
    form = UploadForm()
    return post_and_redirect(
        form,
        lambda: add_project_file(view.project, form.file.data, author=current_user),
        lambda stored: _("%(name)s is uploaded.", name=stored.original_name),
        url_for("portal.projects.files", project_id=view.project.id),
    )


@bp.route("/projects/<int:project_id>/files/<int:file_id>")
def file(project_id: int, file_id: int):
    view = open_tab(project_id, "files")
    stored = db.first_or_404(_visible_files(view.project).where(StoredFile.id == file_id))
    if not (upload_folder() / stored.stored_name).is_file():
        abort(404)  # the row outlived its bytes (e.g. a restored database): not a server error
    return serve(stored)


# -- discussions -----------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/discussions")
def discussions(project_id: int):
    view = open_tab(project_id, "discussions")
    page = paginate(shared_items(Discussion, view.project).order_by(Discussion.id.desc()))
    ids = [d.id for d in page.items]
    counts = dict(
        db.session.execute(
            select(DiscussionComment.discussion_id, func.count())
            .where(DiscussionComment.discussion_id.in_(ids))
            .group_by(DiscussionComment.discussion_id)
        ).all()
    )
    return render_template("portal/projects/discussions.html", view=view, page=page, counts=counts)


@bp.route("/projects/<int:project_id>/discussions/<int:discussion_id>")
def discussion(project_id: int, discussion_id: int):
    view = open_tab(project_id, "discussions")
    discussion = shared_item_or_404(Discussion, view.project, discussion_id)
    comments = thread(DiscussionComment, discussion.id)
    return render_template(
        "portal/projects/discussion.html", view=view, discussion=discussion, comments=comments, form=CommentForm()
    )


@bp.route("/projects/<int:project_id>/discussions/<int:discussion_id>/comments", methods=["POST"])
def discussion_comment(project_id: int, discussion_id: int):
    view = open_tab(project_id, "discussions")
    discussion = shared_item_or_404(Discussion, view.project, discussion_id)
    form = CommentForm()
    return post_and_redirect(
        form,
        lambda: add_discussion_comment(discussion, form.body.data, author=current_user),
        _("Your comment is added."),
        url_for("portal.projects.discussion", project_id=view.project.id, discussion_id=discussion.id),
    )
