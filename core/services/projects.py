"""Projects and tasks: staff actions, each notifying through the recipient rule."""

from __future__ import annotations

from datetime import date

from core.extensions import db
from core.models import PROJECT_STATUSES, TASK_STATUSES, Project, Task
from core.notifications.notify import notify_project, notify_task

from . import ServiceError


def create_project(customer_id: int, name: str, description: str = "", deadline: date | None = None) -> Project:
    """Create a project for the customer, notify its project contacts, and commit."""
    if not name.strip():
        raise ServiceError("Give the project a name.")
    project = Project(
        customer_id=customer_id,
        name=name.strip(),
        description=description.strip(),
        start_date=date.today(),
        deadline=deadline,
        status="in_progress",
    )
    db.session.add(project)
    db.session.flush()
    notify_project("project_created", project)
    db.session.commit()
    return project


def set_project_status(project: Project, status: str) -> None:
    """Change the status and commit; finishing a project emails its project contacts."""
    if status not in PROJECT_STATUSES:
        raise ServiceError("Unknown project status.")
    if status == project.status:
        return
    project.status = status
    if status == "finished":
        project.progress = 100
        notify_project("project_finished", project)
    db.session.commit()


def add_task(project: Project, name: str, *, visible_to_customer: bool, due_date: date | None = None) -> Task:
    """Add a task and commit; a customer-visible task emails the task contacts."""
    if not name.strip():
        raise ServiceError("Give the task a name.")
    task = Task(name=name.strip(), visible_to_customer=visible_to_customer, due_date=due_date)
    project.tasks.append(task)
    db.session.flush()
    notify_task("task_created", task)
    db.session.commit()
    return task


def set_task_status(task: Task, status: str) -> None:
    """Change a task's status and commit; customer-visible tasks email the task contacts."""
    if status not in TASK_STATUSES:
        raise ServiceError("Unknown task status.")
    if status == task.status:
        return
    task.status = status
    notify_task("task_status_changed", task)
    db.session.commit()
