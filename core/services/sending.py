"""Sending a document (invoice, credit note, estimate, contract) by email from the admin area.

Which kinds can be sent, their notification, email link and the status a sent draft takes are
in ``core.document_kinds`` (``SENDABLE_KINDS``).

The seed's rule: the dialog preselects the contacts whose toggle for the document is on (and
who hold the permission); staff may add any other active contact of the same customer, and
the email goes to every selected contact and only to them. Staff preview each contact's
email before sending (``preview_document_email``), rendered exactly as it will be sent.
"""

from __future__ import annotations

import re
from dataclasses import replace

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from core.audit import record
from core.document_kinds import DocumentKind
from core.extensions import db
from core.i18n import _, ngettext
from core.mail.links import mask_single_use_links
from core.mail.outbox import Attachment, RenderedEmail, contact_email, queue_email
from core.models import Contact, Customer, OutboxEmail, utcnow
from core.notifications.recipients import recipients_for
from core.pdf import document_pdf, pdf_filename
from core.webhooks import emit

from . import ServiceError


def _sendable_statement(customer_id: int):
    """The contacts a document of ``customer_id`` may be sent to: its active contacts."""
    return (
        select(Contact)
        .where(Contact.customer_id == customer_id, Contact.active)
        .order_by(Contact.is_primary.desc(), Contact.first_name, Contact.id)
    )


def active_contacts(customer_id: int) -> list[Contact]:
    """The customer's active contacts, the ones a document may be sent to."""
    return list(db.session.scalars(_sendable_statement(customer_id)))


def sendable_contact(document, contact_id: int) -> Contact | None:
    """The contact ``contact_id`` if the document may be sent to it (an active contact of the
    document's customer, as ``active_contacts`` lists), else None: another customer's contact
    never comes back."""
    return db.session.scalar(_sendable_statement(document.customer_id).where(Contact.id == contact_id))


def preselected_ids(kind: DocumentKind, customer_id: int) -> set[int]:
    """Ids of the contacts the dialog preselects: exactly ``recipients_for`` of the toggle."""
    return {contact.id for contact in recipients_for(customer_id, kind.notification)}


def parse_cc(raw: str) -> list[str]:
    """The CC addresses in ``raw`` (comma, semicolon or space separated), normalised.

    Refuses anything that is not a plain address, CR/LF included, with a message.
    """
    if "\r" in raw or "\n" in raw:
        raise ServiceError(_("CC must be plain email addresses separated by commas."))
    addresses = []
    for part in filter(None, re.split(r"[,;\s]+", raw.strip())):
        try:
            addresses.append(validate_email(part, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ServiceError(_("CC address %(address)s is not a valid email address.", address=repr(part))) from exc
    if len(addresses) > 10:
        raise ServiceError(ngettext("At most %(max)d CC address.", "At most %(max)d CC addresses.", 10, max=10))
    return addresses


def document_attachment(kind: DocumentKind, document, customer: Customer) -> Attachment:
    """The document's PDF as an email attachment, in the current locale."""

    data = document_pdf(kind.key, document, customer, current_app.config["COMPANY_NAME"])
    return Attachment(pdf_filename(kind.key, document), "application/pdf", data)


def _document_email(kind: DocumentKind, document) -> dict:
    """What the document's email is made of, the same for sending and for a preview."""
    return {
        "event_key": f"{kind.key}_sent",
        "link_values": {kind.portal_id_arg: document.id},
        "context": {kind.email_context or kind.key: document},
    }


def preview_document_email(kind: DocumentKind, document, contact: Contact) -> RenderedEmail:
    """The email ``contact`` gets when the document is sent to it (without CC): rendered by the
    same function as the sent one, in the contact's language, greeting it by name.

    Read-only: no outbox row, no token; its unsubscribe link (present exactly when the sent
    email has one) goes nowhere, and any single-use link in it is masked.
    """
    rendered = contact_email(contact=contact, preview=True, **_document_email(kind, document))
    return replace(
        rendered,
        text_body=mask_single_use_links(rendered.text_body),
        html_body=mask_single_use_links(rendered.html_body),
        unsubscribe_url=mask_single_use_links(rendered.unsubscribe_url),
    )


def send_document(
    kind: DocumentKind, document, contact_ids: set[int], *, cc: str = "", attach_pdf: bool = True, actor=None
) -> list[OutboxEmail]:
    """Queue the document's email to the chosen contacts, mark it sent, audit it as ``actor``'s
    (``<kind>.sent`` with the recipients), and commit.

    Every chosen id must be an active contact of the document's customer; otherwise nothing
    is sent and a ServiceError explains why.
    """
    if not contact_ids:
        raise ServiceError(_("Choose at least one recipient."))
    allowed = {contact.id: contact for contact in active_contacts(document.customer_id)}
    if not contact_ids <= allowed.keys():
        raise ServiceError(_("Recipients must be active contacts of this customer."))
    cc_addresses = parse_cc(cc)
    customer = db.session.get(Customer, document.customer_id)
    # Sent before its PDF is made, so the PDF shows what the customer gets: "unpaid", not
    # "draft", and how to pay it (bank transfer is offered only for open invoices).
    if kind.sent_status is not None and document.status == "draft":
        document.status = kind.sent_status
    pdfs: dict[str, tuple[Attachment, ...]] = {}  # one PDF per language, each in the reader's
    emails = []
    for index, contact_id in enumerate(sorted(contact_ids)):
        contact = allowed[contact_id]
        if attach_pdf and contact.language not in pdfs:
            with force_locale(contact.language):
                pdfs[contact.language] = (document_attachment(kind, document, customer),)
        attachments = pdfs.get(contact.language, ())
        emails.append(
            queue_email(
                contact=contact,
                **_document_email(kind, document),
                # CC once, not once per recipient; that copy has no unsubscribe link (unsubscribe_url_for)
                cc=cc_addresses if index == 0 else (),
                attachments=attachments,
            )
        )
    document.sent_at = utcnow()
    if kind.key == "invoice":
        emit("invoice.sent", document)
    record(
        f"{kind.key}.sent",
        actor=actor,
        customer_id=document.customer_id,
        target=document,
        recipients=[email.to_address for email in emails],
        cc=list(cc_addresses),
    )
    db.session.commit()
    return emails
