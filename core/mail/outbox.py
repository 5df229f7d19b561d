"""Queueing emails: render them from templates and add outbox rows to the current transaction.

Nothing here commits or talks to SMTP. The row is written with the change that caused it, so
a rolled-back change sends nothing; the dispatcher delivers committed rows afterwards.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from markupsafe import Markup

from core.extensions import db
from core.i18n import _
from core.models import Contact, EmailAttachment, OutboxEmail, StaffUser
from core.notifications.events import EVENTS
from core.tokens import make_unsubscribe_token

from .flush import mark_queued
from .links import public_url


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def one_line(value: str) -> str:
    """Collapse all whitespace, CR and LF included: header values can never carry a new header."""
    return " ".join(str(value).split())


def render_email(event_key: str, context: dict) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of ``event_key`` rendered with ``context``.

    The event's template (``templates/email/<event>.html``) holds the subject, the message
    lines after the greeting and the action label; user data in it is autoescaped for the HTML part and
    unescaped again for the text part. The text is in the current locale: callers render
    inside ``force_locale(<recipient's language>)`` (see ``_queue``).
    """
    env = current_app.jinja_env
    template = env.get_template(f"email/{event_key}.html")
    ctx = template.new_context({"company_name": current_app.config["COMPANY_NAME"], **context})

    def block(name: str) -> Markup:
        # The template is autoescaped, so the rendered block is safe HTML already.
        return Markup("".join(template.blocks[name](ctx)).strip())  # noqa: S704  # nosec B704

    subject = one_line(block("subject").striptags())
    # Every email greets its recipient first (``greeting_name``: see ``queue_email``).
    greeting = Markup(_("Hello %(name)s,")) % {"name": context["greeting_name"]}  # noqa: S704  # nosec B704
    paragraphs = [greeting, *(p.strip() for p in block("lines").split("\n\n") if p.strip())]
    layout = {
        "subject": subject,
        "action": one_line(block("action").striptags()),
        "link": context.get("link", ""),
        "unsubscribe_url": context.get("unsubscribe_url", ""),
        "company_name": current_app.config["COMPANY_NAME"],
        "lang": str(get_locale() or "en"),
    }
    html_body = render_template("email/layout.html", paragraphs=paragraphs, **layout)
    text_body = render_template("email/layout.txt", paragraphs=[html.unescape(str(p)) for p in paragraphs], **layout)
    return subject, text_body, html_body


def queue_email(
    event_key: str,
    contact: Contact,
    *,
    link_values: dict | None = None,
    link: str | None = None,
    context: dict | None = None,
    cc: Iterable[str] = (),
    attachments: Iterable[Attachment] = (),
) -> OutboxEmail:
    """Add one outbox row for ``contact`` to the session (the caller commits).

    The email links to the event's portal page (``link_values`` fill its URL) unless ``link``
    is given; a toggle-governed email also gets a one-click unsubscribe link for its type.
    """
    event = EVENTS[event_key]
    if link is None:
        values = dict(link_values or {})
        if event.notification:
            # Opened while logged out, the login page fills in this address (portal/guards.py).
            values["login_hint"] = contact.email
        link = public_url(event.endpoint, **values)
    unsubscribe_url = ""
    if event.notification:
        unsubscribe_url = public_url("portal.unsubscribe", token=make_unsubscribe_token(contact, event.notification))
    return _queue(
        event_key,
        to_address=contact.email,
        to_name=contact.full_name,
        customer_id=contact.customer_id,
        contact_id=contact.id,
        link=link,
        unsubscribe_url=unsubscribe_url,
        context={**(context or {}), "contact": contact, "greeting_name": contact.first_name},
        cc=cc,
        attachments=attachments,
        language=contact.language,
    )


def queue_staff_email(
    event_key: str, staff: StaffUser, *, link_values: dict, context: dict, customer_id: int | None = None
) -> OutboxEmail:
    """Add one outbox row for a staff member (links into the admin area), in the staff member's
    language; the caller commits."""
    event = EVENTS[event_key]
    return _queue(
        event_key,
        to_address=staff.email,
        to_name=staff.name,
        customer_id=customer_id,
        contact_id=None,
        link=public_url(event.endpoint, **link_values),
        unsubscribe_url="",
        context={**context, "staff": staff, "greeting_name": staff.name},
        language=staff.language,
    )


def _queue(
    event_key: str,
    *,
    to_address: str,
    to_name: str,
    customer_id: int | None,
    contact_id: int | None,
    link: str,
    unsubscribe_url: str,
    context: dict,
    cc: Iterable[str] = (),
    attachments: Iterable[Attachment] = (),
    language: str = "en",
) -> OutboxEmail:
    if "\r" in to_address or "\n" in to_address:
        raise ValueError("an email address cannot contain a line break")
    full_context = {**context, "link": link, "unsubscribe_url": unsubscribe_url, "event": EVENTS[event_key]}
    with force_locale(language or "en"):  # text, amounts and dates in the recipient's language
        subject, text_body, html_body = render_email(event_key, full_context)
    domain = current_app.config["MAIL_MESSAGE_ID_DOMAIN"]
    email = OutboxEmail(
        event=event_key,
        notification=EVENTS[event_key].notification,
        customer_id=customer_id,
        contact_id=contact_id,
        to_address=to_address,
        to_name=one_line(to_name),
        cc=",".join(one_line(address) for address in cc),
        subject=subject[:255],
        text_body=text_body,
        html_body=html_body,
        link=link,
        unsubscribe_url=unsubscribe_url,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        attachments=[
            EmailAttachment(filename=a.filename, content_type=a.content_type, data=a.data) for a in attachments
        ],
    )
    db.session.add(email)
    mark_queued(email.message_id)
    return email
