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
from .links import MASK, public_url


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


@dataclass(frozen=True)
class RenderedEmail:
    """One recipient's email as it reads it: subject, bodies, the link and the unsubscribe link."""

    subject: str
    text_body: str
    html_body: str
    link: str
    unsubscribe_url: str


# A preview's unsubscribe link goes to the unsubscribe page with this instead of a token: staff
# see where the link is, but it works for nobody (the page refuses it as not valid).
PREVIEW_TOKEN = MASK


def unsubscribe_url_for(
    contact: Contact, notification: str | None, *, copied: bool = False, preview: bool = False
) -> str:
    """The one-click unsubscribe link an email of ``notification`` to ``contact`` carries, or "".

    The one rule for the link in the body and the List-Unsubscribe headers made from it
    (``core.mail.message``): a contact gets a link for notification N only if it receives N
    (``Contact.receives``): a contact added by hand in the send dialog, whose toggle is off or
    who lacks the permission, has nothing to unsubscribe from. A personal email (no
    notification) has none, and neither has a message ``copied`` to other addresses (CC): the
    link is the contact's own, and whoever got the copy could switch the contact's emails off.
    ``preview``: the link shows where it goes but carries no working token.
    """
    if not notification or copied or not contact.receives(notification):
        return ""
    token = PREVIEW_TOKEN if preview else make_unsubscribe_token(contact, notification)
    return public_url("portal.unsubscribe", token=token)


def contact_email(
    event_key: str,
    contact: Contact,
    *,
    link_values: dict | None = None,
    link: str | None = None,
    context: dict | None = None,
    copied: bool = False,
    preview: bool = False,
) -> RenderedEmail:
    """The email ``contact`` gets for ``event_key``, rendered by ``render_email`` in its language,
    greeting it by name; nothing is stored.

    The email links to the event's portal page (``link_values`` fill its URL) unless ``link``
    is given; its unsubscribe link follows ``unsubscribe_url_for`` (``copied``: the message also
    goes to CC addresses; ``preview``: no working token).
    """
    event = EVENTS[event_key]
    if link is None:
        values = dict(link_values or {})
        if event.notification:
            # Opened while logged out, the login page fills in this address (portal/guards.py).
            values["login_hint"] = contact.email
        link = public_url(event.endpoint, **values)
    return _render(
        event_key,
        link=link,
        unsubscribe_url=unsubscribe_url_for(contact, event.notification, copied=copied, preview=preview),
        context={**(context or {}), "contact": contact, "greeting_name": contact.first_name},
        language=contact.language,
    )


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
    """Add one outbox row for ``contact`` to the session (the caller commits): the email
    ``contact_email`` renders, copied to the ``cc`` addresses.
    """
    cc = tuple(cc)
    rendered = contact_email(event_key, contact, link_values=link_values, link=link, context=context, copied=bool(cc))
    return _store(
        event_key,
        rendered,
        to_address=contact.email,
        to_name=contact.full_name,
        customer_id=contact.customer_id,
        contact_id=contact.id,
        cc=cc,
        attachments=attachments,
    )


def queue_staff_email(
    event_key: str, staff: StaffUser, *, link_values: dict, context: dict, customer_id: int | None = None
) -> OutboxEmail:
    """Add one outbox row for a staff member (links into the admin area), in the staff member's
    language; the caller commits."""
    event = EVENTS[event_key]
    rendered = _render(
        event_key,
        link=public_url(event.endpoint, **link_values),
        unsubscribe_url="",
        context={**context, "staff": staff, "greeting_name": staff.name},
        language=staff.language,
    )
    return _store(
        event_key,
        rendered,
        to_address=staff.email,
        to_name=staff.name,
        customer_id=customer_id,
        contact_id=None,
    )


def _render(event_key: str, *, link: str, unsubscribe_url: str, context: dict, language: str) -> RenderedEmail:
    full_context = {**context, "link": link, "unsubscribe_url": unsubscribe_url, "event": EVENTS[event_key]}
    with force_locale(language or "en"):  # text, amounts and dates in the recipient's language
        subject, text_body, html_body = render_email(event_key, full_context)
    return RenderedEmail(subject, text_body, html_body, link, unsubscribe_url)


def _store(
    event_key: str,
    rendered: RenderedEmail,
    *,
    to_address: str,
    to_name: str,
    customer_id: int | None,
    contact_id: int | None,
    cc: Iterable[str] = (),
    attachments: Iterable[Attachment] = (),
) -> OutboxEmail:
    if "\r" in to_address or "\n" in to_address:
        raise ValueError("an email address cannot contain a line break")
    domain = current_app.config["MAIL_MESSAGE_ID_DOMAIN"]
    email = OutboxEmail(
        event=event_key,
        notification=EVENTS[event_key].notification,
        customer_id=customer_id,
        contact_id=contact_id,
        to_address=to_address,
        to_name=one_line(to_name),
        cc=",".join(one_line(address) for address in cc),
        subject=rendered.subject[:255],
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        link=rendered.link,
        unsubscribe_url=rendered.unsubscribe_url,
        message_id=f"<{uuid.uuid4().hex}@{domain}>",
        attachments=[
            EmailAttachment(filename=a.filename, content_type=a.content_type, data=a.data) for a in attachments
        ],
    )
    db.session.add(email)
    mark_queued(email.message_id)
    return email
