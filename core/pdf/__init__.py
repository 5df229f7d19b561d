"""PDF renderings of the documents (invoices, credit notes, estimates, contracts) and of the
account statement: the entry points views and services call.

``layout`` holds the page and its pieces (and the text, number and money formatting every PDF
shares), ``documents`` one renderer per kind and the statement's. Which kinds have a PDF, and
their titles and renderers, is in ``core.document_kinds``.
"""

from __future__ import annotations

import os
import re
import unicodedata

from flask import make_response

from core.document_kinds import DOCUMENT_KINDS_BY_KEY, PDF_KINDS
from core.pdf_cache import PdfCache, cache_key
from core.services.bank_details import BankDetails, bank_details

from . import documents
from .documents import contract_pdf, credit_note_pdf, estimate_pdf, invoice_pdf, statement_filename, statement_pdf

__all__ = [
    "KINDS",
    "contract_pdf",
    "credit_note_pdf",
    "document_pdf",
    "estimate_pdf",
    "invoice_pdf",
    "pdf_cache",
    "pdf_download",
    "pdf_filename",
    "statement_filename",
    "statement_pdf",
]

KINDS: tuple[str, ...] = tuple(kind.key for kind in PDF_KINDS)

# 32 MB per process by default (an invoice PDF is a few kB); PDF_CACHE_BYTES=0 switches it off.
pdf_cache = PdfCache(int(os.environ.get("PDF_CACHE_BYTES", str(32 * 1024 * 1024))))


def pdf_download(data: bytes, filename: str):
    """A Flask response that downloads ``data`` as the PDF ``filename`` (an ASCII-safe name,
    e.g. from ``pdf_filename``), never displayed inline."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def document_pdf(
    kind: str, document, customer, company_name: str, *, compress: bool = True, bank: BankDetails | None = None
) -> bytes:
    """The PDF of a document of the given kind (one of ``KINDS``); ValueError for any other kind.

    Kinds with ``pdf_bank_transfer`` (invoices) show the company's bank account: ``bank``, else
    read from the settings (one statement). Served from ``pdf_cache`` when the same version of
    the document was rendered before, with the same bank account."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind: {kind!r}")
    extra = {}
    if DOCUMENT_KINDS_BY_KEY[kind].pdf_bank_transfer:
        extra["bank"] = bank if bank is not None else bank_details()
    cached = pdf_cache.max_bytes > 0
    key = cache_key(kind, document, customer, company_name, compress, tuple(extra.values())) if cached else None
    if key is not None:
        data = pdf_cache.get(key)
        if data is not None:
            return data
    # Looked up on each call (not bound at import) so that the module's renderer is the one used.
    render = getattr(documents, DOCUMENT_KINDS_BY_KEY[kind].pdf_renderer)
    data = render(document, customer, company_name, compress=compress, **extra)
    if key is not None:
        pdf_cache.put(key, data)
    return data


def pdf_filename(kind: str, document) -> str:
    """A download name like "invoice-INV-2026-0001.pdf" ("contract-<id>.pdf" for kinds without
    a number), made only of ASCII letters, digits, "-", "_" and one ".pdf"; ValueError for an
    unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown document kind: {kind!r}")
    numbered = DOCUMENT_KINDS_BY_KEY[kind].number_prefix is not None
    ident = (getattr(document, "number", None) or document.id) if numbered else document.id
    ascii_ident = unicodedata.normalize("NFKD", str(ident or "")).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9_]+", "-", ascii_ident).strip("-_")[:80].strip("-_")
    return f"{kind.replace('_', '-')}-{safe or 'document'}.pdf"
