"""Support tickets (the Support permission)."""

from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import joinedload, selectinload

from core.models import Ticket, TicketReply
from core.pagination import paginate

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("tickets", __name__, "support")


@bp.route("/tickets")
def index():
    stmt = scoped(Ticket).options(joinedload(Ticket.contact)).order_by(Ticket.last_reply_at.desc(), Ticket.id.desc())
    page = paginate(stmt)
    return render_template("portal/tickets/index.html", page=page)


@bp.route("/tickets/<int:ticket_id>")
def detail(ticket_id: int):
    ticket = owned_or_404(
        Ticket,
        ticket_id,
        joinedload(Ticket.contact),
        selectinload(Ticket.replies).options(joinedload(TicketReply.contact), joinedload(TicketReply.staff)),
    )
    return render_template("portal/tickets/detail.html", ticket=ticket)
