"""A project's tasks tab: the tasks shared with the customer, their comments, commenting."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from core.formposts import post_and_redirect
from core.i18n import _
from core.models import Task, TaskComment
from core.pagination import paginate
from core.services.comments import thread
from core.services.projects import add_task_comment

from . import bp
from .access import open_tab, shared_item_or_404, shared_items
from .forms import CommentForm


@bp.route("/projects/<int:project_id>/tasks")
def tasks(project_id: int):
    view = open_tab(project_id, "tasks")
    page = paginate(shared_items(Task, view.project).order_by(Task.id))
    return render_template("portal/projects/tasks.html", view=view, page=page)


@bp.route("/projects/<int:project_id>/tasks/<int:task_id>")
def task(project_id: int, task_id: int):
    view = open_tab(project_id, "tasks")
    task = shared_item_or_404(Task, view.project, task_id)
    comments = thread(TaskComment, task.id)
    form = CommentForm() if view.allows("comment_tasks") else None
    return render_template("portal/projects/task.html", view=view, task=task, comments=comments, form=form)


@bp.route("/projects/<int:project_id>/tasks/<int:task_id>/comments", methods=["POST"])
def task_comment(project_id: int, task_id: int):
    view = open_tab(project_id, "tasks", action="comment_tasks")
    task = shared_item_or_404(Task, view.project, task_id)
    form = CommentForm()
    return post_and_redirect(
        form,
        lambda: add_task_comment(task, form.body.data, author=current_user),
        _("Your comment is added."),
        url_for("portal.projects.task", project_id=view.project.id, task_id=task.id),
    )
