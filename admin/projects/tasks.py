"""Tasks of a project: add, status, visibility, and the task page with staff comments."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from core.extensions import db
from core.formposts import field_values, post_and_redirect
from core.forms import flash_errors
from core.i18n import _
from core.labels import label
from core.models import TASK_STATUSES, Project, Task, TaskComment
from core.services.comments import thread
from core.services.projects import add_task, add_task_comment, project_settings, set_task_status, set_task_visibility

from .. import bp
from .content import thread_page
from .forms import CommentForm, StatusForm, TaskForm, VisibilityForm


def _to_tasks(project_id: int) -> str:
    return url_for("admin.project_detail", project_id=project_id, _anchor="tasks")


@bp.route("/projects/<int:project_id>/tasks", methods=["POST"])
def task_new(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = TaskForm()
    return post_and_redirect(
        form,
        lambda: add_task(
            project,
            form.name.data,
            **field_values(form, "visible_to_customer", "due_date"),
            notify=form.emails_customer,
        ),
        _("Task added."),
        _to_tasks(project.id),
    )


@bp.route("/tasks/<int:task_id>/status", methods=["POST"])
def task_status(task_id: int):
    task = db.get_or_404(Task, task_id)
    form = StatusForm()
    form.status.choices = [SelectChoice(s, label(s)) for s in TASK_STATUSES]
    return post_and_redirect(
        form,
        lambda: set_task_status(task, form.status.data, notify=form.emails_customer),
        _("Task status saved."),
        _to_tasks(task.project_id),
    )


@bp.route("/tasks/<int:task_id>/visibility", methods=["POST"])
def task_visibility(task_id: int):
    task = db.get_or_404(Task, task_id)
    form = VisibilityForm()
    if form.validate_on_submit():
        set_task_visibility(task, form.visible_to_customer.data)
        flash(
            _("The task is now visible to the customer.")
            if task.visible_to_customer
            else _("The task is now internal.")
        )
    else:
        flash_errors(form)
    return redirect(_to_tasks(task.project_id))


@bp.route("/tasks/<int:task_id>")
def task_detail(task_id: int):
    task = db.get_or_404(Task, task_id, options=[selectinload(Task.project)])
    customer_sees = "view_tasks" in project_settings(task.project) and task.visible_to_customer
    comments = thread(TaskComment, task.id)
    return thread_page("admin/projects/task.html", task.project, customer_sees, comments, "task_commented", task=task)


@bp.route("/tasks/<int:task_id>/comments", methods=["POST"])
def task_comment(task_id: int):
    task = db.get_or_404(Task, task_id)
    form = CommentForm()
    return post_and_redirect(
        form,
        lambda: add_task_comment(task, form.body.data, author=current_user, notify=form.emails_customer),
        _("Comment added."),
        url_for("admin.task_detail", task_id=task.id),
    )
