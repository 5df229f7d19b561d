"""Sending a document (invoice, credit note, estimate, contract) by email from the admin area.

Which kinds can be sent, their notification, email link and the status a sent draft takes are
in ``core.document_kinds`` (``SENDABLE_KINDS``).

The seed's rule: the dialog preselects the contacts whose toggle for the document is on (and
who hold the permission); staff may add any other active contact of the same customer, and
the email goes to every selected contact and only to them.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from core.document_kinds import DocumentKind
from core.extensions import db
from core.i18n import _
from core.mail.outbox import Attachment, queue_email
from core.models import Contact, Customer, OutboxEmail, utcnow
from core.notifications.recipients import recipients_for
from core.pdf import document_pdf, pdf_filename

from . import ServiceError


def active_contacts(customer_id: int) -> list[Contact]:
    """The customer's active contacts, the ones a document may be sent to."""
    stmt = (
        select(Contact)
        .where(Contact.customer_id == customer_id, Contact.active)
        .order_by(Contact.is_primary.desc(), Contact.first_name, Contact.id)
    )
    return list(db.session.scalars(stmt))


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
        raise ServiceError(_("At most %(max)d CC addresses.", max=10))
    return addresses


def document_attachment(kind: DocumentKind, document, customer: Customer) -> Attachment:
    """The document's PDF as an email attachment, in the current locale."""

    data = document_pdf(kind.key, document, customer, current_app.config["COMPANY_NAME"])
    return Attachment(pdf_filename(kind.key, document), "application/pdf", data)


def send_document(
    kind: DocumentKind, document, contact_ids: set[int], *, cc: str = "", attach_pdf: bool = True
) -> list[OutboxEmail]:
    """Queue the document's email to the chosen contacts, mark it sent, and commit.

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
                f"{kind.key}_sent",
                contact,
                link_values={kind.portal_id_arg: document.id},
                context={kind.email_context or kind.key: document},
                cc=cc_addresses if index == 0 else (),  # CC once, not once per recipient
                attachments=attachments,
            )
        )
    document.sent_at = utcnow()
    db.session.commit()
    return emails
