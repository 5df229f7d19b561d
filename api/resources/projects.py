"""``/api/v1/projects`` and ``/api/v1/projects/{id}/tasks`` (resource group ``projects``):
list, read, create and update through the admin area's project and task services; a status
change goes through the same service as the admin status forms (and emails as they do)."""

from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import select

from api.base import resource_blueprint
from api.fastdump import RowDumper, json_page
from api.pagination import keyset_page
from api.schemas.projects import (
    ProjectCreateSchema,
    ProjectListArgs,
    ProjectPage,
    ProjectSchema,
    ProjectUpdateSchema,
    TaskCreateSchema,
    TaskListArgs,
    TaskPage,
    TaskSchema,
    TaskUpdateSchema,
)
from core.extensions import db
from core.i18n import _
from core.models import Customer, Project, Task
from core.services import ServiceError
from core.services.projects import (
    add_task,
    create_project,
    set_project_status,
    set_task_status,
    set_task_visibility,
    update_project,
)

from .errors import refuse

PROJECT_ROWS, TASK_ROWS = RowDumper(ProjectSchema), RowDumper(TaskSchema)
blp = resource_blueprint("projects", "projects", "Projects and their tasks")


def _project_or_404(project_id: int) -> Project:
    return db.session.get(Project, project_id) or abort(404)


def _task_or_404(project_id: int, task_id: int) -> Task:
    """The task ``task_id`` of the project ``project_id``: another project's task is a 404."""
    task = db.session.scalar(select(Task).where(Task.id == task_id, Task.project_id == project_id))
    return task if task is not None else abort(404)


@blp.route("")
@blp.arguments(ProjectListArgs(), location="query")
@blp.response(200, ProjectPage)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_projects(args):
    """List projects, oldest first (filters: customer_id, status)"""
    stmt = select(Project)
    if "customer_id" in args:
        stmt = stmt.where(Project.customer_id == args["customer_id"])
    if "status" in args:
        stmt = stmt.where(Project.status == args["status"])
    body, headers = keyset_page(stmt, Project.id, args)
    return json_page(PROJECT_ROWS, body, headers)


@blp.route("", methods=["POST"])
@blp.arguments(ProjectCreateSchema)
@blp.response(201, ProjectSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create(values):
    """Create a project for a customer (emails its project contacts unless notify is false)"""
    customer = db.session.get(Customer, values["customer_id"])
    if customer is None:
        message = _("No customer has this id.")
        abort(422, errors={"customer_id": [message]}, message=message)
    try:
        project = create_project(
            customer.id,
            values["name"],
            values.get("description", ""),
            values.get("deadline"),
            settings=values.get("settings"),
            notify=values["notify"],
        )
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return project, 201


@blp.route("/<int:project_id>")
@blp.response(200, ProjectSchema)
@blp.alt_response(404, response="NOT_FOUND")
def read(project_id: int):
    """Read a project"""
    return _project_or_404(project_id)


@blp.route("/<int:project_id>", methods=["PATCH"])
@blp.arguments(ProjectUpdateSchema)
@blp.response(200, ProjectSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update(values, project_id: int):
    """Change some fields; ``status`` as the admin status form (finishing emails the customer)"""
    project = _project_or_404(project_id)
    editable = ("name", "description", "deadline", "progress")
    try:
        if any(name in values for name in editable):
            current = {name: getattr(project, name) for name in editable}
            update_project(project, **(current | {k: values[k] for k in editable if k in values}))
        if "status" in values:
            set_project_status(project, values["status"], notify=values["notify"])
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return project


@blp.route("/<int:project_id>/tasks")
@blp.arguments(TaskListArgs(), location="query")
@blp.response(200, TaskPage)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_tasks(args, project_id: int):
    """List a project's tasks, oldest first (filter: status)"""
    _project_or_404(project_id)
    stmt = select(Task).where(Task.project_id == project_id)
    if "status" in args:
        stmt = stmt.where(Task.status == args["status"])
    body, headers = keyset_page(stmt, Task.id, args)
    return json_page(TASK_ROWS, body, headers)


@blp.route("/<int:project_id>/tasks", methods=["POST"])
@blp.arguments(TaskCreateSchema)
@blp.response(201, TaskSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_task(values, project_id: int):
    """Add a task (a task the customer sees emails its task contacts unless notify is false)"""
    project = _project_or_404(project_id)
    try:
        task = add_task(
            project,
            values["name"],
            visible_to_customer=values["visible_to_customer"],
            due_date=values.get("due_date"),
            notify=values["notify"],
        )
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return task, 201


@blp.route("/<int:project_id>/tasks/<int:task_id>")
@blp.response(200, TaskSchema)
@blp.alt_response(404, response="NOT_FOUND")
def read_task(project_id: int, task_id: int):
    """Read a task of the project"""
    return _task_or_404(project_id, task_id)


@blp.route("/<int:project_id>/tasks/<int:task_id>", methods=["PATCH"])
@blp.arguments(TaskUpdateSchema)
@blp.response(200, TaskSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def update_task(values, project_id: int, task_id: int):
    """Share or hide a task, change its status (as the admin task forms)"""
    task = _task_or_404(project_id, task_id)
    try:
        if "visible_to_customer" in values:
            set_task_visibility(task, values["visible_to_customer"])
        if "status" in values:
            set_task_status(task, values["status"], notify=values["notify"])
    except ServiceError as exc:
        db.session.rollback()
        refuse(exc)
    return task
