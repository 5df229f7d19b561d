"""A project's tasks tab: the tasks shared with the customer, their comments, commenting."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from core.extensions import db
from core.formposts import post_and_redirect
from core.i18n import _
from core.models import Project, Task, TaskComment
from core.pagination import paginate
from core.services.comments import thread
from core.services.projects import add_task_comment

from . import bp
from .access import open_tab
from .forms import CommentForm


def _visible_tasks(project: Project):
    # Internal tasks never reach the customer area, in lists or by id.
    return select(Task).where(Task.project_id == project.id, Task.visible_to_customer)


def _task_or_404(project: Project, task_id: int) -> Task:
    return db.first_or_404(_visible_tasks(project).where(Task.id == task_id))


@bp.route("/projects/<int:project_id>/tasks")
def tasks(project_id: int):
    view = open_tab(project_id, "tasks")
    page = paginate(_visible_tasks(view.project).order_by(Task.id))
    return render_template("portal/projects/tasks.html", view=view, page=page)


@bp.route("/projects/<int:project_id>/tasks/<int:task_id>")
def task(project_id: int, task_id: int):
    view = open_tab(project_id, "tasks")
    task = _task_or_404(view.project, task_id)
    comments = thread(TaskComment, task.id)
    form = CommentForm() if view.allows("comment_tasks") else None
    return render_template("portal/projects/task.html", view=view, task=task, comments=comments, form=form)


@bp.route("/projects/<int:project_id>/tasks/<int:task_id>/comments", methods=["POST"])
def task_comment(project_id: int, task_id: int):
    view = open_tab(project_id, "tasks", action="comment_tasks")
    task = _task_or_404(view.project, task_id)
    form = CommentForm()
    return post_and_redirect(
        form,
        lambda: add_task_comment(task, form.body.data, author=current_user),
        _("Your comment is added."),
        url_for("portal.projects.task", project_id=view.project.id, task_id=task.id),
    )
