"""Tickets in the admin area: the list across customers, a ticket's page (reply with files,
status, department, downloads) and the departments tickets are filed under."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from core.extensions import db
from core.files import serve
from core.formposts import post_and_redirect, run_form
from core.forms import CustomerEmailChoice, attachments_field
from core.i18n import _, _l
from core.labels import label
from core.models import (
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Customer,
    Department,
    Project,
    StoredFile,
    Ticket,
    TicketReply,
)
from core.notifications.notify import ticket_recipients
from core.pagination import paginate
from core.services import ServiceError
from core.services.comments import thread
from core.services.tickets import (
    add_staff_reply,
    create_department,
    department_names,
    files_by_reply,
    known_departments,
    rename_department,
    set_department_active,
    set_ticket_department,
    set_ticket_status,
    ticket_files_stmt,
    ticket_search,
)

from . import bp


class ReplyForm(CustomerEmailChoice, FlaskForm):
    body = TextAreaField(_l("Reply"), validators=[DataRequired(), Length(max=20000)])
    attachments = attachments_field()


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per request, so the options are labelled in the reader's language.
        self.status.choices = [SelectChoice(s, label(s)) for s in TICKET_STATUSES]


class TicketDepartmentForm(FlaskForm):
    department = SelectField(_l("Department"), validators=[DataRequired()])


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class DepartmentActiveForm(FlaskForm):
    active = HiddenField(validators=[AnyOf(["0", "1"])])


def _to_ticket(ticket: Ticket) -> str:
    return url_for("admin.ticket_detail", ticket_id=ticket.id)


def _department_form(ticket: Ticket, formdata=None) -> TicketDepartmentForm:
    form = TicketDepartmentForm(formdata=formdata, department=ticket.department)
    names = department_names()
    # The current department stays selectable even when it was deactivated meanwhile.
    if ticket.department not in names:
        names = [ticket.department, *names]
    form.department.choices = [SelectChoice(name) for name in names]
    return form


@bp.route("/tickets")
def tickets():
    args = {key: request.args.get(key, "")[:100] for key in ("q", "status", "department", "priority")}
    stmt = ticket_search(args["q"], status=args["status"], department=args["department"], priority=args["priority"])
    page = paginate(stmt.options(joinedload(Ticket.contact)))
    customer_ids = {t.customer_id for t in page.items}
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    return render_template(
        "admin/tickets/index.html",
        page=page,
        customers=customers,
        filters=args,
        statuses=TICKET_STATUSES,
        priorities=TICKET_PRIORITIES,
        departments=known_departments(),
    )


@bp.route("/tickets/<int:ticket_id>", methods=["GET", "POST"])
def ticket_detail(ticket_id: int):
    ticket = db.get_or_404(Ticket, ticket_id)
    form = ReplyForm()
    if run_form(
        form,
        lambda: add_staff_reply(
            ticket, current_user, form.body.data, form.attachments.data or (), notify=form.emails_customer
        ),
        _("Reply sent."),
    ):
        return redirect(_to_ticket(ticket))
    project = db.session.get(Project, ticket.project_id) if ticket.project_id else None
    return render_template(
        "admin/tickets/detail.html",
        ticket=ticket,
        customer=db.session.get(Customer, ticket.customer_id),
        replies=thread(TicketReply, ticket.id),
        files=files_by_reply(ticket, customer_view=False),
        project=project if project is not None and project.customer_id == ticket.customer_id else None,
        form=form,
        status_form=StatusForm(formdata=None, status=ticket.status),
        department_form=_department_form(ticket),
        emailed=ticket_recipients("ticket_staff_reply", ticket),
    )


@bp.route("/tickets/<int:ticket_id>/status", methods=["POST"])
def ticket_status(ticket_id: int):
    ticket = db.get_or_404(Ticket, ticket_id)
    form = StatusForm()
    return post_and_redirect(
        form,
        lambda: set_ticket_status(ticket, form.status.data, current_user),
        _("Ticket status saved."),
        _to_ticket(ticket),
    )


@bp.route("/tickets/<int:ticket_id>/department", methods=["POST"])
def ticket_department(ticket_id: int):
    ticket = db.get_or_404(Ticket, ticket_id)
    form = _department_form(ticket, formdata=request.form)
    return post_and_redirect(
        form,
        lambda: set_ticket_department(ticket, form.department.data, current_user),
        _("Ticket department saved."),
        _to_ticket(ticket),
    )


@bp.route("/tickets/<int:ticket_id>/files/<int:file_id>")
def ticket_file(ticket_id: int, file_id: int):
    ticket = db.get_or_404(Ticket, ticket_id)
    stored = db.first_or_404(ticket_files_stmt(ticket, customer_view=False).where(StoredFile.id == file_id))
    try:
        return serve(stored)
    except FileNotFoundError:
        abort(404)


@bp.route("/departments", methods=["GET", "POST"])
def departments():
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            department = create_department(form.name.data, current_user)
        except ServiceError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(_('Department "%(name)s" added.', name=department.name), "success")
            return redirect(url_for("admin.departments"))
    rows = db.session.scalars(select(Department).order_by(Department.active.desc(), Department.name)).all()
    return render_template(
        "admin/tickets/departments.html", form=form, departments=rows, active_form=DepartmentActiveForm(formdata=None)
    )


@bp.route("/departments/<int:department_id>/rename", methods=["POST"])
def department_rename(department_id: int):
    department = db.get_or_404(Department, department_id)
    form = DepartmentForm()
    return post_and_redirect(
        form,
        lambda: rename_department(department, form.name.data, current_user),
        _("Department renamed."),
        url_for("admin.departments"),
    )


@bp.route("/departments/<int:department_id>/active", methods=["POST"])
def department_active(department_id: int):
    department = db.get_or_404(Department, department_id)
    form = DepartmentActiveForm()
    if form.validate_on_submit():
        set_department_active(department, form.active.data == "1", current_user)
        flash(_("Department activated.") if department.active else _("Department deactivated."), "success")
    else:
        flash(_("Choose whether the department is active."), "danger")
    return redirect(url_for("admin.departments"))
