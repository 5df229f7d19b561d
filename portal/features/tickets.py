"""Support tickets (the Support permission): list, open, read, reply, close, download files.

A contact sees its customer's tickets; unless the setting "contacts see all tickets of their
company" is on, only the ones it opened itself (``ticket_visibility``). Every route loads the
ticket through that condition, so any other ticket is a 404.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import and_
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from core.extensions import db
from core.files import serve
from core.formposts import run_form
from core.forms import attachments_field
from core.i18n import _, _l
from core.labels import label
from core.loading import contact_name_only
from core.models import TICKET_PRIORITIES, Project, StoredFile, Ticket, TicketReply
from core.pagination import paginate
from core.services import ServiceError
from core.services.comments import thread
from core.services.tickets import (
    add_contact_reply,
    close_ticket,
    department_names,
    files_by_reply,
    new_submission_key,
    open_ticket,
    ticket_files_stmt,
    ticket_visibility,
)

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("tickets", __name__, "support")

STATUS_FILTERS = ("open", "closed")
NO_PROJECT = 0


class OpenTicketForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    department = SelectField(_l("Department"), validators=[DataRequired()])
    priority = SelectField(
        _l("Priority"), choices=[SelectChoice(p, p.capitalize()) for p in TICKET_PRIORITIES], default="medium"
    )
    project = SelectField(_l("Project"), coerce=int, default=NO_PROJECT)
    message = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=20000)])
    attachments = attachments_field()
    # Random per form: a second submit of the same form finds the ticket the first one opened.
    submission_key = HiddenField(
        validators=[DataRequired(_l("This form has expired. Please check it and send it again."))]
    )


class ReplyForm(FlaskForm):
    message = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=20000)])
    attachments = attachments_field()


class CloseForm(FlaskForm):
    """No fields: the CSRF token only."""


def _ticket_or_404(ticket_id: int, *options) -> Ticket:
    """The ticket if the logged-in contact may see it; any other ticket does not exist (404)."""
    return owned_or_404(Ticket, ticket_id, *options, condition=ticket_visibility(current_user))


# The ticket's project, only if it is the same customer's (as ``scoped(Project)`` would check).
_ticket_project = and_(Project.id == Ticket.project_id, Project.customer_id == Ticket.customer_id)


def _project_of(ticket: Ticket) -> Project | None:
    """The ticket's project for the link on the page, if the contact may see projects."""
    if ticket.project_id is None or not current_user.can("projects"):
        return None
    return db.session.scalar(scoped(Project).where(Project.id == ticket.project_id))


def _open_form() -> OpenTicketForm:
    form = OpenTicketForm()
    form.department.choices = [SelectChoice(name) for name in department_names()]
    # Stored values stay English; the reader sees them in their language.
    form.priority.choices = [SelectChoice(p, label(p)) for p in TICKET_PRIORITIES]
    if current_user.can("projects"):
        projects = db.session.execute(
            scoped(Project).with_only_columns(Project.id, Project.name).order_by(Project.name)
        )
        form.project.choices = [
            SelectChoice(NO_PROJECT, _("No project")),
            *(SelectChoice(p.id, p.name) for p in projects),
        ]
    else:
        # Without the Projects permission the contact cannot even name a project.
        del form.project
    return form


@bp.route("/tickets")
def index():
    status = request.args.get("status", "")
    stmt = (
        scoped(Ticket)
        .where(ticket_visibility(current_user))
        .options(contact_name_only(Ticket.contact))
        .order_by(Ticket.last_reply_at.desc(), Ticket.id.desc())
    )
    if status == "open":
        stmt = stmt.where(Ticket.status != "closed")
    elif status == "closed":
        stmt = stmt.where(Ticket.status == "closed")
    else:
        status = ""
    return render_template("portal/tickets/index.html", page=paginate(stmt), status=status, statuses=STATUS_FILTERS)


@bp.route("/tickets/new", methods=["GET", "POST"])
def new():
    form = _open_form()
    if form.validate_on_submit():
        project_id = form.project.data if "project" in form and form.project.data != NO_PROJECT else None
        try:
            ticket = open_ticket(
                current_user,
                subject=form.subject.data,
                department=form.department.data,
                priority=form.priority.data,
                message=form.message.data,
                submission_key=form.submission_key.data,
                project_id=project_id,
                uploads=form.attachments.data or (),
            )
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash(_("Ticket #%(id)s is open. We will answer as soon as possible.", id=ticket.id), "success")
            return redirect(url_for(".detail", ticket_id=ticket.id))
    if not form.submission_key.data:
        form.submission_key.data = new_submission_key()
    return render_template("portal/tickets/new.html", form=form)


@bp.route("/tickets/<int:ticket_id>")
def detail(ticket_id: int):
    # The ticket and its project (shown as a link) in one query.
    stmt = scoped(Ticket).where(Ticket.id == ticket_id, ticket_visibility(current_user))
    sees_projects = current_user.can("projects")
    if sees_projects:
        stmt = stmt.outerjoin(Project, _ticket_project).add_columns(Project)
    row = db.session.execute(stmt).first()
    if row is None:
        abort(404)
    ticket, project = (row[0], row[1]) if sees_projects else (row[0], None)
    return _render_detail(ticket, ReplyForm(formdata=None), project)


@bp.route("/tickets/<int:ticket_id>/reply", methods=["POST"])
def reply(ticket_id: int):
    ticket = _ticket_or_404(ticket_id)
    form = ReplyForm()
    if run_form(
        form,
        lambda: add_contact_reply(ticket, current_user, form.message.data, form.attachments.data or ()),
        _("Your reply was sent."),
    ):
        return redirect(url_for(".detail", ticket_id=ticket.id))
    return _render_detail(ticket, form, _project_of(ticket))


@bp.route("/tickets/<int:ticket_id>/close", methods=["POST"])
def close(ticket_id: int):
    ticket = _ticket_or_404(ticket_id)
    if CloseForm().validate_on_submit():
        close_ticket(ticket, current_user)
        flash(_("The ticket is closed. Reply to it if you need to open it again."), "success")
    return redirect(url_for(".detail", ticket_id=ticket.id))


@bp.route("/tickets/<int:ticket_id>/files/<int:file_id>")
def download(ticket_id: int, file_id: int):
    ticket = _ticket_or_404(ticket_id)
    # The file must hang off a reply of this very ticket: a valid ticket id cannot unlock
    # another ticket's (or customer's) file.
    stored = db.first_or_404(ticket_files_stmt(ticket, customer_view=True).where(StoredFile.id == file_id))
    try:
        return serve(stored)
    except FileNotFoundError:
        abort(404)


def _render_detail(ticket: Ticket, form: ReplyForm, project: Project | None):
    return render_template(
        "portal/tickets/detail.html",
        ticket=ticket,
        replies=thread(TicketReply, ticket.id),
        files=files_by_reply(ticket, customer_view=True),
        project=project,
        form=form,
        close_form=CloseForm(formdata=None),
    )
