"""Money in PDFs is printed by the pages' and emails' formatter (``core.i18n.money``): in German
a PDF shows an amount exactly as the German page does, e.g. "1.234,50 €", not "1.234,50 EUR"."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from core.extensions import db
from core.i18n import money
from core.models import Contract, Customer
from core.pdf import contract_pdf, invoice_pdf, statement_pdf
from core.services.statements import account_statement, default_period
from tests.conftest import login

# An uncompressed PDF shows its strings as "(text) Tj", in the core font's Windows-1252.
_SHOWN = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", re.S)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(m.group(1).decode("cp1252") for m in _SHOWN.finditer(pdf))


def _seen(text: str) -> str:
    # A no-break space looks like a space: fpdf2 prints the one in a wrapped cell as a space.
    return text.replace("\xa0", " ")


def _german_invoice(f):
    customer = f.make_customer()
    contact = f.make_contact(customer, language="de")
    invoice = f.make_invoice(customer)
    invoice.items[0].quantity, invoice.items[0].unit_price, invoice.items[0].tax_rate = 1, Decimal("1234.50"), 0
    invoice.recalculate()
    db.session.commit()
    return customer, contact, invoice


def test_german_pdf_prints_amounts_as_the_german_page(app, client, f):
    customer, contact, invoice = _german_invoice(f)
    login(client, contact)
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    with app.test_request_context(), force_locale("de"):
        shown = money(invoice.total, "EUR")
        pdf = _pdf_text(invoice_pdf(invoice, customer, "Northwind", compress=False))
        period = default_period(invoice.date)
        statement = account_statement(customer.id, period.start, period.end, "EUR")
        statement_text = _pdf_text(statement_pdf(statement, customer, "Northwind", compress=False))
    assert shown == "1.234,50\xa0€"
    assert shown in page
    assert shown in pdf and _seen(shown) in _seen(statement_text)
    assert "1.234,50 EUR" not in pdf


@pytest.mark.parametrize(
    ("language", "value", "currency", "expected"),
    [
        ("en", Decimal("1234.5"), "EUR", "1,234.50 EUR"),
        ("en", Decimal("-0"), "EUR", "0.00 EUR"),  # never "-0.00"
        ("de", Decimal("12000"), "USD", "12.000,00\xa0$"),
        ("de", Decimal("1e30"), "EUR", "1,000,000,000,000,000,000,000,000,000,000.00 EUR"),  # beyond Babel
        ("de", "not a number", "EUR", "0,00\xa0€"),
    ],
)
def test_pdf_money_is_the_pages_money(app, language, value, currency, expected):
    contract = Contract(id=1, subject="S", content="", value=value, currency=currency, start_date=date(2026, 1, 1))
    with app.test_request_context(), force_locale(language):
        text = _pdf_text(contract_pdf(contract, Customer(company="C"), "Northwind", compress=False))
        if isinstance(value, Decimal):
            assert money(value, currency) == expected
    assert _seen(expected) in _seen(text).replace("\n", "")  # a long amount wraps in its cell
