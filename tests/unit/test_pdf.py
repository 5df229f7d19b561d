"""PDFs of the sales documents (core.pdf), from in-memory model objects: no database, no app."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from core.models import (
    Contract,
    CreditNote,
    CreditNoteItem,
    Customer,
    Estimate,
    EstimateItem,
    Invoice,
    InvoiceItem,
    Payment,
)
from core.pdf import KINDS, contract_pdf, credit_note_pdf, document_pdf, estimate_pdf, invoice_pdf, pdf_filename
from core.services.bank_details import NO_BANK_DETAILS

COMPANY = "Northwind Services"
_SHOWN = re.compile(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(raw[i + 1 : i + 2], raw[i + 1 : i + 2])
            i += 2
        else:
            out += raw[i : i + 1]
            i += 1
    return bytes(out)


def text_of(pdf: bytes) -> str:
    """Every string shown on the pages of an uncompressed PDF, one per line (Helvetica is cp1252)."""
    return "\n".join(_unescape(m.group(1)).decode("cp1252") for m in _SHOWN.finditer(pdf))


def customer(**changes) -> Customer:
    values = dict(
        company="Müller & Söhne GmbH",
        address="Hauptstraße 1\r\nHinterhaus",
        zip_code="10115",
        city="Berlin",
        country="Germany",
        vat_number="DE123456789",
    )
    values.update(changes)
    return Customer(**values)


def item(cls, description: str, quantity: str = "1", unit_price: str = "100", tax_rate: str = "19"):
    return cls(
        description=description, quantity=Decimal(quantity), unit_price=Decimal(unit_price), tax_rate=Decimal(tax_rate)
    )


def invoice(*descriptions: str, **changes) -> Invoice:
    values = dict(
        number="INV-2026-0001",
        date=date(2026, 1, 5),
        due_date=date(2099, 2, 4),
        status="partially_paid",
        currency="EUR",
        discount=Decimal("0"),
        amount_paid=Decimal("500"),
        notes="",
    )
    values.update(changes)
    inv = Invoice(**values)
    inv.items = [item(InvoiceItem, "Website relaunch", "1", "1234.5"), *(item(InvoiceItem, d) for d in descriptions)]
    inv.payments = [Payment(amount=Decimal("500"), date=date(2026, 1, 20), method="Bank transfer", reference="R-1")]
    inv.recalculate()
    return inv


def test_invoice_pdf_shows_number_customer_items_totals_and_balance():
    inv = invoice("Hosting", discount=Decimal("10"))
    compressed = invoice_pdf(inv, customer(), COMPANY)
    pdf = invoice_pdf(inv, customer(), COMPANY, compress=False)

    assert compressed.startswith(b"%PDF") and pdf.startswith(b"%PDF")
    assert compressed.rstrip().endswith(b"%%EOF")
    text = text_of(pdf)
    # 1,234.50 + 100.00 = 1,334.50; tax 19 % = 253.56; less 10.00 discount
    assert inv.total == Decimal("1578.06")
    for expected in (
        COMPANY,
        "Invoice INV-2026-0001",
        "Müller & Söhne GmbH",
        "Hauptstraße 1",
        "10115 Berlin",
        "VAT number: DE123456789",
        "2026-01-05",
        "2099-02-04",
        "Partially paid",
        "1,234.50 EUR",
        "1,334.50 EUR",
        "-10.00 EUR",
        "253.56 EUR",
        "1,578.06 EUR",
        "Payments received",
        "Bank transfer",
        "1,078.06 EUR",
        "Page 1 of ",
    ):
        assert expected in text, expected


def test_no_discount_row_when_there_is_no_discount():
    text = text_of(invoice_pdf(invoice(), customer(), COMPANY, compress=False))
    assert "Subtotal" in text and "Discount" not in text


def test_hostile_text_is_printed_literally_and_never_breaks_the_pdf():
    long_description = ("Größere Änderung am Büro " * 100)[:2000]
    assert len(long_description) == 2000
    hostile = ["<script>alert(1)</script>", "Hosting\r\nBcc: x", "{nb} (parens) \\ back", "a\x00b\x07c\u202e€ 😀 ő"]
    inv = invoice(long_description, *hostile, notes="Thanks \r\nBcc: x <b>bold</b>")
    cust = customer(company="<script>alert(1)</script>\r\nBcc: x", city="Köln\u2028Porz")

    pdf = invoice_pdf(inv, cust, "Ümlaut & Co. <i>", compress=False)

    assert pdf.startswith(b"%PDF")
    text = text_of(pdf)
    assert "<script>alert(1)</script> Bcc: x" in text  # one-line fields: line breaks become spaces
    assert "<script>alert(1)</script>" in text.splitlines()
    assert "Hosting\nBcc: x" in text  # descriptions keep their line breaks, as separate lines
    assert "{nb} (parens) \\ back" in text  # not taken for the page-count alias
    assert "abc€ ? o" in text  # control characters dropped, € kept, emoji replaced, ő unaccented
    assert "Köln Porz" in text and "Ümlaut & Co. <i>" in text
    assert "Größere Änderung am Büro" in text
    assert "\r" not in text


def test_descriptions_longer_than_a_page_continue_on_further_rows():
    huge = "word " * 3000 + "\n" * 300 + "Z" * 5000
    inv = invoice(huge)
    pdf = invoice_pdf(inv, customer(address="Line\n" * 400), COMPANY, compress=False)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) > 5
    assert f"{inv.total:,.2f} EUR" in text_of(pdf)


def test_bare_in_memory_objects_render():
    """Column defaults only apply on insert: unset amounts, currency and lists must not matter."""
    inv = Invoice(number="INV-1", date=date(2026, 1, 1))
    inv.recalculate()
    text = text_of(invoice_pdf(inv, Customer(company="ACME"), COMPANY, compress=False))
    assert "No line items" in text and "0.00 EUR" in text
    # No application, so no settings to read the bank account from: it is given (none).
    assert document_pdf("invoice", inv, None, "", compress=False, bank=NO_BANK_DETAILS).startswith(b"%PDF")
    inv.total, inv.amount_paid, inv.currency = Decimal("1E+30"), Decimal("NaN"), "€\r\n"
    text = text_of(invoice_pdf(inv, None, COMPANY, compress=False))
    assert "1,000,000,000,000,000,000,000,000,000,000.00 €" in text and "0.00 €" in text


def test_credit_note_pdf():
    note = CreditNote(number="CN-2026-0003", date=date(2026, 3, 1), currency="USD", notes="Goodwill")
    note.items = [item(CreditNoteItem, "Refund for downtime", "1", "1000")]
    note.invoice = Invoice(number="INV-2026-0001", date=date(2026, 1, 5))
    note.recalculate()
    text = text_of(credit_note_pdf(note, customer(), COMPANY, compress=False))
    for expected in ("Credit note CN-2026-0003", "2026-03-01", "INV-2026-0001", "1,190.00 USD", "Goodwill"):
        assert expected in text, expected


def test_estimate_pdf():
    estimate = Estimate(number="EST-7", date=date(2026, 2, 1), expiry_date=date(2026, 3, 1), currency="EUR")
    estimate.items = [item(EstimateItem, "Consulting", "8", "120", "0")]
    estimate.recalculate()
    text = text_of(estimate_pdf(estimate, customer(), COMPANY, compress=False))
    for expected in ("Estimate EST-7", "Valid until", "2026-03-01", "960.00 EUR", "Müller & Söhne GmbH"):
        assert expected in text, expected


def test_contract_pdf_prints_content_and_signature_when_signed():
    contract = Contract(
        id=42,
        subject="Maintenance <b>2026</b>",
        content="1. Scope\r\nAll websites.\n\n2. Fees\nMonthly, 1.000 € netto.",
        value=Decimal("12000"),
        currency="EUR",
        start_date=date(2026, 1, 1),
        end_date=None,
    )
    unsigned = text_of(contract_pdf(contract, customer(), COMPANY, compress=False))
    for expected in ("Contract #42", "Maintenance <b>2026</b>", "2026-01-01", "12,000.00 EUR", "All websites."):
        assert expected in unsigned, expected
    assert "Monthly, 1.000 € netto." in unsigned
    assert "Signed by" not in unsigned

    contract.signer_name, contract.signed_at = "Jürgen Weiß", datetime(2026, 1, 2, 9, 30)
    signed = text_of(document_pdf("contract", contract, customer(), COMPANY, compress=False))
    assert "Signed by Jürgen Weiß on 2026-01-02" in signed


def test_document_pdf_dispatches_on_kind():
    inv = invoice()
    invoice_text = text_of(document_pdf("invoice", inv, customer(), COMPANY, compress=False, bank=NO_BANK_DETAILS))
    assert "Invoice INV-2026-0001" in invoice_text
    with pytest.raises(ValueError):
        document_pdf("proposal", inv, customer(), COMPANY)
    assert KINDS == ("invoice", "credit_note", "estimate", "contract")


@pytest.mark.parametrize(
    ("kind", "document", "expected"),
    [
        ("invoice", Invoice(id=1, number="INV-2026-0001"), "invoice-INV-2026-0001.pdf"),
        ("credit_note", CreditNote(id=2, number="CN-2026-0001"), "credit-note-CN-2026-0001.pdf"),
        ("estimate", Estimate(id=3, number="EST/2026 #4"), "estimate-EST-2026-4.pdf"),
        ("contract", Contract(id=17, subject="x"), "contract-17.pdf"),
        ("invoice", Invoice(id=5, number="../../etc/passwd"), "invoice-etc-passwd.pdf"),
        ("invoice", Invoice(id=6, number='Rëchnung"\r\nX: y;.pdf'), "invoice-Rechnung-X-y-pdf.pdf"),
        ("invoice", Invoice(id=7, number=""), "invoice-7.pdf"),
        ("invoice", Invoice(id=8, number="😀"), "invoice-document.pdf"),
    ],
)
def test_pdf_filename_is_safe(kind, document, expected):
    name = pdf_filename(kind, document)
    assert name == expected
    assert re.fullmatch(r"[a-z-]+-[A-Za-z0-9_-]+\.pdf", name)


def test_pdf_filename_rejects_unknown_kinds():
    with pytest.raises(ValueError):
        pdf_filename("proposal", Invoice(id=1, number="X"))


def test_the_pdf_speaks_the_readers_language(app):
    """Labels, status and numbers follow the locale; user text stays as typed."""
    from flask_babel import force_locale

    inv = invoice("Hosting", discount=Decimal("10"))
    with app.test_request_context(), force_locale("de"):
        text = text_of(invoice_pdf(inv, customer(), COMPANY, compress=False))
    for expected in (
        "Rechnung INV-2026-0001",
        "USt-IdNr.: DE123456789",
        "Teilweise bezahlt",
        "1.234,50 €",  # a price in the items table, whose cells print a no-break space as a space
        "1.578,06\xa0€",
        "Offener Betrag",
        "Website relaunch",
        "Seite 1 von ",
    ):
        assert expected in text, expected
    assert "Balance due" not in text
