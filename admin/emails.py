"""The email delivery log: every outbox row, rendered, per customer and per contact."""

from __future__ import annotations

from flask import make_response, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from core.extensions import db
from core.mail.links import mask_single_use_links
from core.models import EMAIL_STATUSES, Contact, Customer, OutboxEmail
from core.pagination import paginate

from . import bp


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


@bp.route("/emails")
def emails():
    customer_id, contact_id = _int_arg("customer_id"), _int_arg("contact_id")
    status = request.args.get("status", "")
    stmt = (
        select(OutboxEmail)
        .options(lazyload(OutboxEmail.attachments), joinedload(OutboxEmail.contact), joinedload(OutboxEmail.customer))
        .order_by(OutboxEmail.id.desc())
    )
    if customer_id:
        stmt = stmt.where(OutboxEmail.customer_id == customer_id)
    if contact_id:
        stmt = stmt.where(OutboxEmail.contact_id == contact_id)
    if status in EMAIL_STATUSES:
        stmt = stmt.where(OutboxEmail.status == status)
    page = paginate(stmt)
    return render_template(
        "admin/emails/index.html",
        page=page,
        status=status,
        statuses=EMAIL_STATUSES,
        customer=db.session.get(Customer, customer_id) if customer_id else None,
        contact=db.session.get(Contact, contact_id) if contact_id else None,
    )


@bp.route("/emails/<int:email_id>")
def email_detail(email_id: int):
    email = db.get_or_404(OutboxEmail, email_id)
    return render_template(
        "admin/emails/detail.html",
        email=email,
        link=mask_single_use_links(email.link),
        text_body=mask_single_use_links(email.text_body),
    )


@bp.route("/emails/<int:email_id>/html")
def email_html(email_id: int):
    """The stored HTML part, shown inside the log page's sandboxed frame; no script can run."""
    email = db.get_or_404(OutboxEmail, email_id)
    response = make_response(mask_single_use_links(email.html_body))
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
