"""The email delivery log: every outbox row, rendered, per customer and per contact."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload

from core.extensions import db
from core.i18n import _, ngettext
from core.mail.links import mask_single_use_links
from core.mail.resend import ResendFilter, failed_count, resend_failed
from core.models import EMAIL_STATUSES, Contact, Customer, OutboxEmail
from core.pagination import paginate

from . import bp


def _int_value(raw: str) -> int | None:
    """A positive id as typed in a filter, or None when it is not one (empty or junk)."""
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _int_arg(name: str) -> int | None:
    return _int_value(request.args.get(name, ""))


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
        resend_labels=_resend_labels(customer_id, contact_id),
        customer=db.session.get(Customer, customer_id) if customer_id else None,
        contact=db.session.get(Contact, contact_id) if contact_id else None,
    )


def _resend_labels(customer_id: int | None, contact_id: int | None) -> dict[str, str]:
    """The email log's resend buttons: ``here`` (the current filter), ``all`` (every failed
    email, offered when the filter narrows), each only when there is something to resend."""
    labels = {}
    everywhere = failed_count(ResendFilter())
    narrowed = customer_id or contact_id
    if narrowed and (here := failed_count(ResendFilter(customer_id=customer_id, contact_id=contact_id))):
        labels["here"] = ngettext("Resend %(num)d failed email", "Resend %(num)d failed emails", here)
    if everywhere:
        labels["all"] = ngettext("Resend all %(num)d failed email", "Resend all %(num)d failed emails", everywhere)
    return labels


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
    return email_html_response(mask_single_use_links(email.html_body))


def email_html_response(html_body: str):
    """An email's HTML part as a page for a sandboxed frame of the admin area: its inline
    styles apply, no script runs, and only admin pages may frame it."""
    response = make_response(html_body)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox allow-popups"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def _form_filter() -> ResendFilter | None:
    """The email log's filter as posted (customer and contact), or None if a value is malformed."""
    values = {}
    for name in ("customer_id", "contact_id"):
        raw = request.form.get(name, "")
        values[name] = _int_value(raw)
        if raw and values[name] is None:
            return None
    return ResendFilter(**values)


@bp.route("/emails/resend", methods=["POST"])
def emails_resend():
    """Queue again the failed emails of the log's current filter, or all failed emails."""
    chosen = _form_filter()
    if chosen is None:
        flash(_("That filter is not valid; nothing was resent."), "danger")
        return redirect(url_for("admin.emails"))
    back = {
        key: value for key, value in (("customer_id", chosen.customer_id), ("contact_id", chosen.contact_id)) if value
    }
    if request.form.get("scope") == "all":
        chosen = ResendFilter()
    count = resend_failed(chosen, actor=current_user, via="email log")
    if count:
        flash(ngettext("%(num)d failed email queued again.", "%(num)d failed emails queued again.", count), "success")
    else:
        flash(_("No failed emails to resend."), "info")
    return redirect(url_for("admin.emails", **back))


@bp.route("/emails/<int:email_id>/resend", methods=["POST"])
def email_resend(email_id: int):
    """Queue one failed email again."""
    email = db.get_or_404(OutboxEmail, email_id)
    if resend_failed(ResendFilter(ids=[email.id], customer_id=email.customer_id), actor=current_user, via="email log"):
        flash(_("The email is queued again."), "success")
    else:
        flash(_("Only a failed email can be resent."), "warning")
    return redirect(url_for("admin.email_detail", email_id=email_id))
