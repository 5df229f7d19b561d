"""Projects and their tasks: what the API shows and accepts (the admin forms' fields)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs, page_schema
from core.catalogs import PROJECT_SETTINGS
from core.models import PROJECT_STATUSES, TASK_STATUSES

from .common import UtcDateTime, record_id, text
from .filters import query_id

SETTING_CHOICES = [s.key for s in PROJECT_SETTINGS]
_NOTIFY = {"description": "Email the customer's contacts as the admin area does (default true)"}


class ProjectSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = record_id(required=True)
    name = text(200, required=True, min_length=1)
    description = text(20_000)
    status = fields.String(
        validate=validate.OneOf(PROJECT_STATUSES), metadata={"description": ", ".join(PROJECT_STATUSES)}
    )
    start_date = fields.Date(dump_only=True)
    deadline = fields.Date(allow_none=True)
    progress = fields.Integer(validate=validate.Range(min=0, max=100), metadata={"description": "Percent"})
    created_at = UtcDateTime(dump_only=True)


class ProjectCreateSchema(ProjectSchema):
    status = fields.String(dump_only=True)
    progress = fields.Integer(dump_only=True)
    settings = fields.List(
        fields.String(validate=validate.OneOf(SETTING_CHOICES)),
        validate=validate.Length(max=len(SETTING_CHOICES)),
        load_only=True,
        metadata={
            "description": f"What the customer sees (default: the admin form's defaults): {', '.join(SETTING_CHOICES)}"
        },
    )
    notify = fields.Boolean(load_only=True, load_default=True, metadata=_NOTIFY)


class ProjectUpdateSchema(ProjectSchema):
    """PATCH: any subset; ``status`` goes through the same service as the admin status form."""

    customer_id = fields.Integer(dump_only=True)
    name = text(200, min_length=1)
    notify = fields.Boolean(load_only=True, load_default=True, metadata=_NOTIFY)


class ProjectListArgs(PageArgs):
    customer_id = query_id()
    status = fields.String(validate=validate.OneOf(PROJECT_STATUSES))


class TaskSchema(Schema):
    id = fields.Integer(dump_only=True)
    project_id = fields.Integer(dump_only=True)
    name = text(200, required=True, min_length=1)
    description = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    due_date = fields.Date(allow_none=True)
    visible_to_customer = fields.Boolean(load_default=False)
    created_at = UtcDateTime(dump_only=True)


class TaskCreateSchema(TaskSchema):
    notify = fields.Boolean(load_only=True, load_default=True, metadata=_NOTIFY)


class TaskUpdateSchema(Schema):
    """PATCH: the status and the visibility (what the admin area changes on a task)."""

    status = fields.String(validate=validate.OneOf(TASK_STATUSES), metadata={"description": ", ".join(TASK_STATUSES)})
    visible_to_customer = fields.Boolean()
    notify = fields.Boolean(load_only=True, load_default=True, metadata=_NOTIFY)


class TaskListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))


ProjectPage = page_schema(ProjectSchema, "ProjectPage")
TaskPage = page_schema(TaskSchema, "TaskPage")
