"""Emails go out in the recipient's language: each contact's own, and each staff member's own.

The German texts come from the German catalog (``translations/de``); the English ones are the
templates' own text.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.document_kinds import DOCUMENT_KINDS_BY_KEY as DOCUMENT_KINDS
from core.extensions import db
from core.models import OutboxEmail
from core.notifications.notify import notify_invoice, notify_staff
from core.services.passwords import send_invitation
from core.services.sending import send_document


def _emails_to(address: str) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == address)))


def _contacts(f, *languages: str):
    customer = f.make_customer(company="Acme Bau GmbH")
    contacts = [
        f.make_contact(customer, permissions={"invoices"}, notifications={"invoice"}, first_name=name, language=code)
        for name, code in zip(("Erika", "Emma"), languages, strict=True)
    ]
    return customer, contacts


def test_invoice_sent_in_each_contacts_language(app, f):
    customer, (german, english) = _contacts(f, "de", "en")
    invoice = f.make_invoice(customer)
    invoice.due_date = date(2026, 12, 24)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()

    (de_email,) = _emails_to(german.email)
    assert de_email.subject == f"Rechnung {invoice.number} von {app.config['COMPANY_NAME']}"
    assert "Hallo Erika," in de_email.text_body
    assert f"anbei erhalten Sie die Rechnung {invoice.number} über 119,00\xa0€, fällig am 24. Dez. 2026." in (
        de_email.text_body
    )
    assert f"Rechnung {invoice.number} ansehen" in de_email.html_body
    assert "Diese E-Mails abbestellen" in de_email.html_body and 'lang="de"' in de_email.html_body

    (en_email,) = _emails_to(english.email)
    assert en_email.subject == f"Invoice {invoice.number} from {app.config['COMPANY_NAME']}"
    assert "Hello Emma," in en_email.text_body
    assert f"please find invoice {invoice.number} over 119.00 EUR, due on 24 Dec 2026." in en_email.text_body
    assert "Unsubscribe from these emails" in en_email.html_body and 'lang="en"' in en_email.html_body


def test_invitation_in_the_contacts_language(app, f):
    _, (german, english) = _contacts(f, "de", "en")
    send_invitation(german)
    send_invitation(english)

    (de_email,) = _emails_to(german.email)
    assert de_email.subject == f"Ihr Zugang zum Kundenbereich von {app.config['COMPANY_NAME']}"
    assert "Passwort festlegen" in de_email.text_body
    (en_email,) = _emails_to(english.email)
    assert en_email.subject == f"Your access to the {app.config['COMPANY_NAME']} customer area"
    assert "Choose your password" in en_email.text_body


def test_send_dialog_uses_each_recipients_language(app, f):
    customer, (german, english) = _contacts(f, "de", "en")
    invoice = f.make_invoice(customer)
    send_document(DOCUMENT_KINDS["invoice"], invoice, {german.id, english.id}, attach_pdf=False)

    assert _emails_to(german.email)[0].subject.startswith(f"Rechnung {invoice.number} von ")
    assert _emails_to(english.email)[0].subject.startswith(f"Invoice {invoice.number} from ")


def test_staff_email_in_the_staff_members_language(app, f):
    german = f.make_staff(email="chefin@example.com", name="Petra")
    german.language = "de"
    english = f.make_staff(email="boss@example.com", name="Bob")
    customer = f.make_customer(company="Acme Bau GmbH")
    contact = f.make_contact(customer)
    ticket = f.make_ticket(customer, contact, subject="Heizung defekt")
    ticket.priority = "high"
    db.session.commit()

    notify_staff(
        "staff_ticket_opened",
        link_values={"ticket_id": ticket.id},
        context={"ticket": ticket, "customer": customer, "author": contact.full_name, "message": "Bitte helfen."},
        customer_id=customer.id,
    )
    db.session.commit()

    (de_email,) = _emails_to(german.email)
    assert de_email.subject == f"Neues Ticket #{ticket.id} von Acme Bau GmbH: Heizung defekt"
    assert "Hallo Petra," in de_email.text_body
    assert f"hat das Ticket #{ticket.id} eröffnet ({ticket.department}, Priorität: hoch):" in de_email.text_body
    assert "Ticket öffnen" in de_email.text_body
    (en_email,) = _emails_to(english.email)
    assert en_email.subject == f"New ticket #{ticket.id} from Acme Bau GmbH: Heizung defekt"
    assert f"opened ticket #{ticket.id} ({ticket.department}, high priority):" in en_email.text_body
