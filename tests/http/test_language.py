"""A contact's language: chosen on the profile, used for its pages and for the emails it gets."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail
from core.notifications.notify import notify_invoice
from tests.conftest import login


def test_contact_switches_to_german_formatting(client, f):
    contact = f.make_contact(permissions={"invoices"})
    invoice = f.make_invoice(contact.customer)
    invoice.due_date = date(2026, 12, 24)
    db.session.commit()
    login(client, contact)
    assert "119.00 EUR" in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    response = client.post(
        "/profile",
        data={
            "profile-first_name": contact.first_name,
            "profile-last_name": "X",
            "profile-phone": "",
            "profile-language": "de",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert contact.language == "de"
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "119,00\xa0€" in page and "24. Dez. 2026" in page


def test_unknown_language_is_refused(client, f):
    contact = f.make_contact()
    login(client, contact)
    page = client.post(
        "/profile",
        data={"profile-first_name": "A", "profile-last_name": "B", "profile-phone": "", "profile-language": "xx"},
    ).get_data(as_text=True)
    assert "Not a valid choice" in page
    db.session.expire_all()
    assert contact.language == "en"


def test_emails_use_the_recipients_language(f):
    customer = f.make_customer()
    german = f.make_contact(customer, notifications={"invoice"})
    german.language = "de"
    english = f.make_contact(customer, notifications={"invoice"})
    db.session.commit()
    invoice = f.make_invoice(customer)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    by_address = {e.to_address: e for e in db.session.scalars(select(OutboxEmail))}
    assert "119,00\xa0€" in by_address[german.email].text_body
    assert "119.00 EUR" in by_address[english.email].text_body
