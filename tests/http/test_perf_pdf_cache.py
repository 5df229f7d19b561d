"""The rendered-PDF cache (core.pdf.pdf_cache, core/pdf_cache.py): a repeat download is not rendered again, and a
changed document (or customer, day, locale) never gets a stale PDF."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale

import core.pdf
import core.pdf_cache
from core.extensions import db
from core.models import Invoice, InvoiceItem, Payment
from core.pdf import document_pdf, pdf_cache
from tests.conftest import login
from tests.pdf_streams import pdf_streams


def shown_text(pdf: bytes) -> str:
    """The strings drawn on the pages of a (possibly Flate-compressed) PDF."""
    out = []
    for raw in pdf_streams(pdf):
        out += [m.decode("cp1252", "replace") for m in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", raw)]
    return "\n".join(out)


@pytest.fixture
def renders(monkeypatch):
    """Counts real renderings of invoices (cache misses), with an empty cache to start from."""
    pdf_cache.clear()
    calls = []
    original = core.pdf.documents.invoice_pdf

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(core.pdf.documents, "invoice_pdf", counting)
    yield calls
    pdf_cache.clear()


@pytest.fixture
def setup(app, f):
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer)
    invoice = f.make_invoice(customer, number="INV-CACHE")
    client = app.test_client()
    assert login(client, contact).status_code == 302
    return customer, invoice, client


def download(client, invoice_id: int) -> bytes:
    response = client.get(f"/invoices/{invoice_id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def test_repeat_download_is_served_from_the_cache(setup, renders):
    _, invoice, client = setup
    first = download(client, invoice.id)
    assert download(client, invoice.id) == first
    assert len(renders) == 1 and pdf_cache.hits == 1
    assert "INV-CACHE" in shown_text(first)


def test_changed_invoice_is_rendered_again(setup, renders):
    _, invoice, client = setup
    download(client, invoice.id)
    db.session.execute(db.update(Invoice).where(Invoice.id == invoice.id).values(notes="Pay by Friday please"))
    db.session.commit()
    fresh = download(client, invoice.id)
    assert len(renders) == 2 and "Pay by Friday please" in shown_text(fresh)


def test_changed_line_item_and_new_payment_are_rendered_again(setup, renders):
    _, invoice, client = setup
    download(client, invoice.id)
    # Only a child row changes: the invoice row itself stays exactly the same.
    db.session.execute(db.update(InvoiceItem).where(InvoiceItem.invoice_id == invoice.id).values(description="Rework"))
    db.session.commit()
    assert "Rework" in shown_text(download(client, invoice.id))
    db.session.add(Payment(invoice_id=invoice.id, amount=Decimal("1.00"), date=date.today(), reference="REF-77"))
    db.session.commit()
    assert "REF-77" in shown_text(download(client, invoice.id))
    assert len(renders) == 3


def test_changed_customer_is_rendered_again(setup, renders):
    customer, invoice, client = setup
    download(client, invoice.id)
    customer.city = "Cachetown"
    db.session.commit()
    assert "Cachetown" in shown_text(download(client, invoice.id))
    assert len(renders) == 2


def test_an_invoice_turning_overdue_overnight_is_rendered_again(setup, renders, monkeypatch):
    _, invoice, client = setup
    assert "Unpaid" in shown_text(download(client, invoice.id))

    class Later(date):
        @classmethod
        def today(cls):
            return date.today() + timedelta(days=30)

    monkeypatch.setattr(core.pdf.documents, "date", Later)  # the status the PDF shows
    monkeypatch.setattr(core.pdf_cache, "date", Later)  # and the cache key
    assert "Overdue" in shown_text(download(client, invoice.id))
    assert len(renders) == 2


def test_cache_key_includes_the_locale(app, setup, renders):
    customer, invoice, _ = setup
    with app.test_request_context():
        english = document_pdf("invoice", invoice, customer, "Northwind")
        assert document_pdf("invoice", invoice, customer, "Northwind") == english
        with force_locale("de"):
            document_pdf("invoice", invoice, customer, "Northwind")
            document_pdf("invoice", invoice, customer, "Northwind")
        document_pdf("invoice", invoice, customer, "Other company")
    assert len(renders) == 3  # en, de, another company name


def test_cache_is_bounded_by_size():
    cache = core.pdf_cache.PdfCache(max_bytes=1000)
    for n in range(10):
        cache.put(bytes([n]), b"x" * 200)
    assert len(cache) == 5 and cache.get(bytes([0])) is None and cache.get(bytes([9])) == b"x" * 200
    cache.put(b"big", b"x" * 600)  # larger than a quarter of the budget: not kept
    assert cache.get(b"big") is None
