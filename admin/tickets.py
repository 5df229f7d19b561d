"""Tickets in the admin area: read, reply (emails the ticket's contact)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core.extensions import db
from core.models import Customer, Ticket, TicketReply
from core.services import ServiceError
from core.services.tickets import add_staff_reply

from . import bp


class ReplyForm(FlaskForm):
    body = TextAreaField("Reply", validators=[DataRequired(), Length(max=20000)])


@bp.route("/tickets/<int:ticket_id>", methods=["GET", "POST"])
def ticket_detail(ticket_id: int):
    ticket = db.get_or_404(
        Ticket, ticket_id, options=[selectinload(Ticket.replies).options(selectinload(TicketReply.staff))]
    )
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            add_staff_reply(ticket, current_user, form.body.data)
        except ServiceError as exc:
            flash(str(exc), "danger")
        else:
            flash("Reply sent.", "success")
            return redirect(url_for("admin.ticket_detail", ticket_id=ticket.id))
    customer = db.session.get(Customer, ticket.customer_id)
    return render_template("admin/tickets/detail.html", ticket=ticket, customer=customer, form=form)
