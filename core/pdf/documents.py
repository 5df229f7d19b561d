"""The PDF of each document kind (the renderer ``core.document_kinds`` names as ``pdf_renderer``)
and the account statement's, composed from ``core.pdf.layout``'s pieces."""

from __future__ import annotations

from datetime import date

from fpdf.enums import XPos, YPos

from core.girocode import bank_transfer_for
from core.services.bank_details import BankDetails

from .bank import bank_transfer_block
from .layout import (
    _TABLE,
    _clean,
    _date,
    _decimal,
    _DocumentPDF,
    _items_table,
    _label,
    _money,
    _money_rows,
    _parties,
    _payments,
    _section,
    _start,
    _t,
    _totals,
)


def invoice_pdf(
    invoice, customer, company_name: str, *, compress: bool = True, bank: BankDetails | None = None
) -> bytes:
    """The invoice as PDF bytes: header, customer, dates and status, line items, totals, payments
    received and balance due, then how to pay by bank transfer to the account ``bank`` (with a
    GiroCode) when ``core.girocode.bank_transfer_for`` offers it. Any user text is printed
    literally; it cannot make this raise."""
    pdf = _start("invoice", _clean(invoice.number), company_name, compress)
    status = invoice.display_status(date.today()) if invoice.status else ""
    facts = [(_t("Invoice no."), _clean(invoice.number)), (_t("Date"), _date(invoice.date))]
    facts += [(_t("Due date"), _date(invoice.due_date)), (_t("Status"), _label(status))]
    _parties(pdf, customer, facts, _t("Bill to"))
    _items_table(pdf, invoice.items, invoice.currency)
    _totals(pdf, _money_rows(invoice))
    _payments(pdf, invoice)
    transfer = bank_transfer_for(invoice, bank) if bank is not None else None
    if transfer is not None:
        bank_transfer_block(pdf, transfer)
    _section(pdf, _t("Notes"), _clean(invoice.notes, multiline=True))
    return bytes(pdf.output())


def credit_note_pdf(note, customer, company_name: str, *, compress: bool = True) -> bytes:
    """The credit note as PDF bytes: header, customer, date (and the credited invoice's number),
    line items and totals. Any user text is printed literally; it cannot make this raise."""
    pdf = _start("credit_note", _clean(note.number), company_name, compress)
    facts = [(_t("Credit note no."), _clean(note.number)), (_t("Date"), _date(note.date))]
    if getattr(note, "invoice", None) is not None:
        facts.append((_t("Invoice"), _clean(note.invoice.number)))
    _parties(pdf, customer, facts)
    _items_table(pdf, note.items, note.currency)
    _totals(pdf, _money_rows(note))
    _section(pdf, _t("Notes"), _clean(note.notes, multiline=True))
    return bytes(pdf.output())


def estimate_pdf(estimate, customer, company_name: str, *, compress: bool = True) -> bytes:
    """The estimate as PDF bytes: header, customer, date and validity, line items and totals.
    Any user text is printed literally; it cannot make this raise."""
    pdf = _start("estimate", _clean(estimate.number), company_name, compress)
    facts = [(_t("Estimate no."), _clean(estimate.number)), (_t("Date"), _date(estimate.date))]
    _parties(pdf, customer, [*facts, (_t("Valid until"), _date(estimate.expiry_date))])
    _items_table(pdf, estimate.items, estimate.currency)
    _totals(pdf, _money_rows(estimate))
    _section(pdf, _t("Notes"), _clean(estimate.notes, multiline=True))
    return bytes(pdf.output())


def contract_pdf(contract, customer, company_name: str, *, compress: bool = True) -> bytes:
    """The contract as PDF bytes: header, customer, subject, term and value, the full content
    text and, once signed, who signed it and when. Any user text is printed literally; it
    cannot make this raise."""
    pdf = _start("contract", f"#{contract.id}", company_name, compress)
    facts = [(_t("Start date"), _date(contract.start_date))]
    facts += [(_t("End date"), _date(contract.end_date)), (_t("Value"), _money(contract.value, contract.currency))]
    _parties(pdf, customer, facts)
    _section(pdf, _t("Subject"), _clean(contract.subject))
    _section(pdf, _t("Terms"), _clean(contract.content, multiline=True))
    if contract.signed_at is not None:
        signer = _clean(contract.signer_name) or _t("an unnamed signer")
        _section(
            pdf, _t("Signature"), _t("Signed by %(name)s on %(date)s", name=signer, date=_date(contract.signed_at))
        )
    return bytes(pdf.output())


_STATEMENT_COLS = (24, 72, 26, 24, 28)  # mm, sums to 174


def statement_pdf(statement, customer, company_name: str, *, compress: bool = True) -> bytes:
    """The account statement (``core.services.statements.Statement``) as PDF bytes: customer,
    period and currency, opening balance, every invoice and payment of the period with the
    running balance, and the closing balance. User text is printed literally; it cannot raise."""
    currency = statement.currency
    period = _t("%(start)s to %(end)s", start=_date(statement.start), end=_date(statement.end))
    pdf = _DocumentPDF(_clean(company_name), _t("Account statement %(period)s", period=period), compress)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.cell(0, 9, _t("Account statement"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    facts = [(_t("Period"), period), (_t("Currency"), _clean(currency)), (_t("Issued"), _date(date.today()))]
    _parties(pdf, customer, facts)
    pdf.set_font("helvetica", "", 9)
    aligns = ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT")
    with pdf.table(col_widths=_STATEMENT_COLS, text_align=aligns, **_TABLE) as table:
        table.row((_t("Date"), _t("Description"), _t("Invoiced"), _t("Paid"), _t("Balance")))
        table.row((_date(statement.start), _t("Opening balance"), "", "", _money(statement.opening_balance, currency)))
        for line in statement.lines:
            invoiced = _money(line.invoiced, currency) if line.invoiced else ""
            paid = _money(line.paid, currency) if line.paid else ""
            description = _clean(line.description)
            table.row((_date(line.date), description, invoiced, paid, _money(line.balance, currency)))
        closing = _money(statement.closing_balance, currency)
        table.row((_date(statement.end), _t("Closing balance"), "", "", closing))
    pdf.ln(3)
    _totals(
        pdf,
        [
            (_t("Opening balance"), _money(statement.opening_balance, currency), False),
            (_t("Invoiced"), _money(statement.invoiced, currency), False),
            (_t("Paid"), _money(-_decimal(statement.paid), currency), False),
            (_t("Closing balance"), closing, True),
        ],
    )
    return bytes(pdf.output())


def statement_filename(statement) -> str:
    """A download name like "statement-2026-01-01-2026-12-31.pdf"."""
    return f"statement-{_date(statement.start)}-{_date(statement.end)}.pdf"
