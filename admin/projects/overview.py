"""The project list, creating and editing a project, its status and customer settings."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from core.catalogs import PROJECT_SETTINGS
from core.extensions import db
from core.forms import flash_errors
from core.i18n import _
from core.labels import label
from core.models import PROJECT_STATUSES, TASK_STATUSES, Customer, Discussion, Milestone, Project, StoredFile, Task
from core.notifications.notify import event_recipients, recipients_by_event
from core.pagination import paginate
from core.services import ServiceError
from core.services.projects import (
    create_project,
    project_search,
    project_settings,
    set_project_settings,
    set_project_status,
    update_project,
)

from .. import bp
from .forms import (
    DeleteForm,
    DiscussionForm,
    FileForm,
    MilestoneForm,
    ProjectEditForm,
    ProjectForm,
    SettingsForm,
    StatusForm,
    TaskForm,
    VisibilityForm,
)


def status_form(current: str | None = None) -> StatusForm:
    form = StatusForm(status=current) if current else StatusForm()
    form.status.choices = [SelectChoice(s, label(s)) for s in PROJECT_STATUSES]
    return form


@bp.route("/projects")
def project_list():
    query = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    page = paginate(project_search(query, status))
    customer_ids = {p.customer_id for p in page.items}
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    return render_template(
        "admin/projects/index.html", page=page, customers=customers, q=query, status=status, statuses=PROJECT_STATUSES
    )


@bp.route("/customers/<int:customer_id>/projects/new", methods=["GET", "POST"])
def project_new(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            project = create_project(
                customer.id,
                form.name.data,
                form.description.data,
                form.deadline.data,
                settings=form.settings(),
                notify=form.emails_customer,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Project created."), "success")
            return redirect(url_for("admin.project_detail", project_id=project.id))
    emailed = event_recipients("project_created", customer.id)
    return render_template("admin/projects/form.html", form=form, customer=customer, project=None, emailed=emailed)


@bp.route("/projects/<int:project_id>")
def project_detail(project_id: int):
    project = db.get_or_404(Project, project_id)
    settings = project_settings(project)
    settings_form = SettingsForm(formdata=None)
    for s in PROJECT_SETTINGS:
        settings_form[f"setting_{s.key}"].data = s.key in settings

    def rows(model, *order):
        return db.session.scalars(select(model).where(model.project_id == project.id).order_by(*order)).all()

    return render_template(
        "admin/projects/detail.html",
        project=project,
        customer=db.session.get(Customer, project.customer_id),
        settings=settings,
        tasks=rows(Task, Task.id),
        milestones=rows(Milestone, Milestone.due_date.is_(None), Milestone.due_date, Milestone.id),
        files=rows(StoredFile, StoredFile.id.desc()),
        discussions=rows(Discussion, Discussion.id.desc()),
        status_form=status_form(project.status),
        settings_form=settings_form,
        task_form=TaskForm(formdata=None),
        visibility_form=VisibilityForm(formdata=None),
        milestone_form=MilestoneForm(formdata=None),
        file_form=FileForm(formdata=None),
        discussion_form=DiscussionForm(formdata=None),
        delete_form=DeleteForm(formdata=None),
        task_statuses=TASK_STATUSES,
        task_status_form=StatusForm(formdata=None),
        # Who each emailing form on the page would email, named beside it before saving.
        emailed=recipients_by_event(
            project.customer_id, "project_finished", "task_created", "task_status_changed", "project_file_added"
        ),
    )


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
def project_edit(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = ProjectEditForm(obj=project)
    if form.validate_on_submit():
        try:
            update_project(
                project,
                name=form.name.data,
                description=form.description.data,
                deadline=form.deadline.data,
                progress=form.progress.data,
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Project saved."), "success")
            return redirect(url_for("admin.project_detail", project_id=project.id))
    customer = db.session.get(Customer, project.customer_id)
    return render_template("admin/projects/form.html", form=form, customer=customer, project=project)


@bp.route("/projects/<int:project_id>/status", methods=["POST"])
def project_status(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = status_form()
    if form.validate_on_submit():
        set_project_status(project, form.status.data, notify=form.emails_customer)
        flash(_("Project status saved."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("admin.project_detail", project_id=project.id))


@bp.route("/projects/<int:project_id>/settings", methods=["POST"])
def project_settings_save(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            set_project_settings(project, form.settings(), staff=current_user)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Customer settings saved."), "success")
    else:
        flash_errors(form)
    return redirect(url_for("admin.project_detail", project_id=project.id, _anchor="settings"))
