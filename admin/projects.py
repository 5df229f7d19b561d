"""Projects in the admin area: create, status, tasks (customer-visible or internal)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.extensions import db
from core.models import PROJECT_STATUSES, TASK_STATUSES, Customer, Project, Task
from core.services.projects import add_task, create_project, set_project_status, set_task_status

from . import bp


class ProjectForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    deadline = DateField("Deadline", validators=[Optional()])


class TaskForm(FlaskForm):
    name = StringField("Task", validators=[DataRequired(), Length(max=200)])
    due_date = DateField("Due date", validators=[Optional()])
    visible_to_customer = BooleanField("Visible to customer", default=True)


class StatusForm(FlaskForm):
    status = SelectField("Status", validators=[DataRequired()])


def _flash_errors(form) -> None:
    for errors in form.errors.values():
        flash(errors[0], "danger")


@bp.route("/customers/<int:customer_id>/projects/new", methods=["GET", "POST"])
def project_new(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    form = ProjectForm()
    if form.validate_on_submit():
        project = create_project(customer.id, form.name.data, form.description.data or "", form.deadline.data)
        flash("Project created.", "success")
        return redirect(url_for("admin.project_detail", project_id=project.id))
    return render_template("admin/projects/form.html", form=form, customer=customer)


@bp.route("/projects/<int:project_id>")
def project_detail(project_id: int):
    project = db.get_or_404(Project, project_id, options=[selectinload(Project.tasks)])
    status_form = StatusForm(status=project.status)
    status_form.status.choices = [(s, s.replace("_", " ").capitalize()) for s in PROJECT_STATUSES]
    return render_template(
        "admin/projects/detail.html",
        project=project,
        customer=db.session.get(Customer, project.customer_id),
        status_form=status_form,
        task_form=TaskForm(),
        task_statuses=TASK_STATUSES,
    )


@bp.route("/projects/<int:project_id>/status", methods=["POST"])
def project_status(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = StatusForm()
    form.status.choices = [(s, s) for s in PROJECT_STATUSES]
    if form.validate_on_submit():
        set_project_status(project, form.status.data)
        flash("Project status saved.", "success")
    else:
        _flash_errors(form)
    return redirect(url_for("admin.project_detail", project_id=project.id))


@bp.route("/projects/<int:project_id>/tasks", methods=["POST"])
def task_new(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = TaskForm()
    if form.validate_on_submit():
        add_task(
            project, form.name.data, visible_to_customer=form.visible_to_customer.data, due_date=form.due_date.data
        )
        flash("Task added.", "success")
    else:
        _flash_errors(form)
    return redirect(url_for("admin.project_detail", project_id=project.id))


@bp.route("/tasks/<int:task_id>/status", methods=["POST"])
def task_status(task_id: int):
    task = db.get_or_404(Task, task_id)
    form = StatusForm()
    form.status.choices = [(s, s) for s in TASK_STATUSES]
    if form.validate_on_submit():
        set_task_status(task, form.status.data)
        flash("Task status saved.", "success")
    else:
        _flash_errors(form)
    return redirect(url_for("admin.project_detail", project_id=task.project_id))
