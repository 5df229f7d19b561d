"""Tasks of a project and their comments.

A task reaches the customer (pages and emails) only when it is visible to the customer and
the project lets the customer see tasks ("view_tasks"): an email never shows what the
portal would hide.
"""

from __future__ import annotations

from datetime import date

from core.extensions import db
from core.i18n import _
from core.models import TASK_STATUSES, Contact, Project, Task, TaskComment
from core.notifications.notify import notify_task

from .. import ServiceError
from ..comments import Author, post_comment
from ._common import DUPLICATE_WINDOW, clean_name, clean_text, recent_duplicate
from .lifecycle import project_settings


def _customer_sees(task: Task) -> bool:
    return task.visible_to_customer and "view_tasks" in project_settings(task.project)


def add_task(
    project: Project, name: str, *, visible_to_customer: bool, due_date: date | None = None, notify: bool = True
) -> Task:
    """Add a task and commit; a task the customer can see emails the task contacts (unless
    ``notify`` is False: staff chose to skip it). The same name submitted twice in a row adds
    one task."""
    name = clean_name(name, "task")
    duplicate = recent_duplicate(Task, Task.project_id == project.id, Task.name == name)
    if duplicate is not None:
        return duplicate
    task = Task(name=name, visible_to_customer=visible_to_customer, due_date=due_date)
    project.tasks.append(task)
    db.session.flush()
    if notify and _customer_sees(task):
        notify_task("task_created", task)
    db.session.commit()
    return task


def set_task_status(task: Task, status: str, *, notify: bool = True) -> None:
    """Change a task's status and commit; a task the customer can see emails the task contacts
    (unless ``notify`` is False)."""
    if status not in TASK_STATUSES:
        raise ServiceError(_("Unknown task status."))
    if status == task.status:
        return
    task.status = status
    if notify and _customer_sees(task):
        notify_task("task_status_changed", task)
    db.session.commit()


def set_task_visibility(task: Task, visible_to_customer: bool) -> None:
    """Share a task with the customer or make it internal, and commit.

    No email: the customer sees a newly shared task in the portal, and making a task
    internal must not announce it.
    """
    if task.visible_to_customer == visible_to_customer:
        return
    task.visible_to_customer = visible_to_customer
    db.session.commit()


def add_task_comment(task: Task, body: str, *, author: Author, notify: bool = True) -> TaskComment:
    """Add a comment by a contact or a staff member, email the task contacts (unless
    ``notify`` is False), and commit.

    A contact may comment only on a task of its own customer that it can see, on a project
    that allows "comment_tasks". The same text by the same author twice in a row is one
    comment (and one email).
    """
    body = clean_text(body, required=True, empty_message=_("Write a comment first."))
    if isinstance(author, Contact):
        allowed = {"view_tasks", "comment_tasks"} <= project_settings(task.project)
        if author.customer_id != task.project.customer_id or not task.visible_to_customer or not allowed:
            raise ServiceError(_("Comments are not open on this task."))

    def email(_comment: TaskComment) -> None:
        notify_task("task_commented", task, body, author=author)

    effects = email if notify and _customer_sees(task) else None
    return post_comment(TaskComment, task.id, body, author, window=DUPLICATE_WINDOW, effects=effects)
