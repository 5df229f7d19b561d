"""The page layout every PDF shares: printable text, numbers and money, the A4 page with its
header and footer, the customer block, the line-item table, totals, sections and payments.

Built with fpdf2 and its core Helvetica font, so no font files are needed. Every string printed
comes from user data and goes through ``_clean`` first: it is made encodable in Windows-1252
(the core fonts' encoding, a superset of the printable Latin-1 characters that also has the euro
sign), stripped of control characters, and never interpreted (no markdown, no HTML).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace

from core import labels
from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.i18n import _, money

_ENCODING = "windows-1252"
# Total-page alias: contains DEL, which _clean strips, so no user text can ever contain it.
_NB_ALIAS = "{\x7f}"
_TEXT, _MUTED, _RULE, _SHADE = (33, 37, 41), (108, 117, 125), (206, 212, 218), (241, 243, 245)
_ITEM_COLS = (86, 18, 26, 16, 28)  # mm, sums to the 174 mm between the margins
_CHUNK_LINES = 20  # a table row must fit on one page: longer descriptions continue on further rows
_TABLE = {
    "headings_style": FontFace(emphasis="BOLD", color=_TEXT, fill_color=_SHADE),
    "line_height": 4.5,
    "padding": (1.5, 2),
}


def _char(ch: str) -> str:
    """One character the core font can print: itself, its unaccented form, or "?"."""
    try:
        ch.encode(_ENCODING)
        return ch
    except UnicodeEncodeError:
        plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        try:
            plain.encode(_ENCODING)
        except UnicodeEncodeError:
            return "?"
        return plain or "?"


def _clean(value, *, multiline: bool = False) -> str:
    """User text made printable: encodable, no control characters, line breaks only if multiline."""
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    out = []
    for ch in text.replace("\r\n", "\n").replace("\r", "\n"):
        category = unicodedata.category(ch)
        if ch == "\n" or category in ("Zl", "Zp"):
            out.append("\n" if multiline else " ")
        elif ch == "\t" or category == "Zs":
            out.append(" ")
        elif category[0] != "C":  # drops control, format, surrogate and unassigned characters
            out.append(_char(ch))
    if multiline:
        return "\n".join(line.rstrip() for line in "".join(out).strip("\n").split("\n"))
    return " ".join("".join(out).split())


def _decimal(value) -> Decimal:
    try:
        number = Decimal(value or 0)
    except (InvalidOperation, TypeError, ValueError):
        return Decimal("0")
    return number if number.is_finite() else Decimal("0")


def _t(message: str, **values) -> str:
    """``message`` translated into the current locale, made printable like user text."""
    return _clean(_(message, **values))


def _grouped(number: Decimal, python_format: str, babel_format: str) -> str:
    """``number`` with the locale's grouping and decimal signs (Python's own for huge values)."""
    try:
        return format_decimal(number, format=babel_format)
    except InvalidOperation:  # beyond Babel's quantize precision; still printable, English style
        return format(number, python_format)


def _number(value) -> str:
    """A quantity or rate without trailing zeros: 2, 2.5, 1,000 (1.000 and 2,5 in German)."""
    number = _decimal(value)
    if number == number.to_integral_value():
        return _grouped(number, ",.0f", "#,##0")
    return _grouped(number.normalize(), ",f", "#,##0.##########")


def _money(value, currency) -> str:
    """Exactly as pages and emails print it (``core.i18n.money``: "1.234,50 €" in German), in the core font."""
    return "".join(map(_char, money(_decimal(value), _clean(currency) or "EUR")))


def _date(value) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, date) else (_clean(value) or "-")


def _label(status) -> str:
    return _clean(labels.label(_clean(status)))


class _DocumentPDF(FPDF):
    """A4 page with the company name as header and "<document> - Page x of y" as footer."""

    def __init__(self, company: str, reference: str, compress: bool):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = _ENCODING
        self.company, self.reference = company, reference
        self.set_compression(compress)
        self.alias_nb_pages(_NB_ALIAS)
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=20)
        self.set_title(reference)
        self.set_text_color(*_TEXT)
        self.set_draw_color(*_RULE)

    def _fit(self, text: str, width: float) -> str:
        """Text shortened with "..." to fit on one line of the given width in the current font."""
        text = text[:300]
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "...") > width:
            text = text[:-1]
        return text + "..."

    def header(self) -> None:
        self.set_font("helvetica", "B", 15)
        self.cell(0, 8, self._fit(self.company, self.epw), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(6)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", "", 8)
        self.set_text_color(*_MUTED)
        self.cell(self.epw - 30, 5, self._fit(f"{self.company} - {self.reference}", self.epw - 32))
        # Not _t: _clean would strip the alias's DEL character.
        self.cell(30, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages=_NB_ALIAS), align="R")
        self.set_text_color(*_TEXT)


def _parties(pdf: _DocumentPDF, customer, facts: list[tuple[str, str]], title: str = "") -> None:
    """The customer block on the left, the document's facts (label, value) on the right."""
    top, page, right = pdf.get_y(), pdf.page, pdf.l_margin + 100
    pdf.set_font("helvetica", "", 9)
    for label, value in facts:
        pdf.set_x(right)
        pdf.set_text_color(*_MUTED)
        pdf.cell(28, 5, label)
        pdf.set_text_color(*_TEXT)
        pdf.multi_cell(pdf.epw - 128, 5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin, top)
    pdf.set_text_color(*_MUTED)
    pdf.cell(90, 5, (title or _t("Customer")) if customer is not None else "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_TEXT)
    if customer is not None:
        place = " ".join(p for p in (_clean(customer.zip_code), _clean(customer.city)) if p)
        vat = _clean(customer.vat_number)
        lines = [_clean(customer.address, multiline=True), place, _clean(customer.country)]
        pdf.set_font("helvetica", "B", 10)
        pdf.multi_cell(90, 5, _clean(customer.company), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 9)
        for line in [*lines, _t("VAT number: %(vat)s", vat=vat) if vat else ""]:
            if line:
                pdf.multi_cell(90, 5, line, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(pdf.get_y(), bottom) if pdf.page == page else pdf.get_y())
    pdf.ln(6)


def _chunks(pdf: _DocumentPDF, text: str) -> list[str]:
    """The description split into pieces short enough for one table row each."""
    pdf.set_font("helvetica", "", 9)
    lines = pdf.multi_cell(_ITEM_COLS[0] - 6, 4.5, text, dry_run=True, output=MethodReturnValue.LINES)
    # fpdf2 hands the lines back in its internal form (Windows-1252 bytes read as Latin-1).
    lines = [line.encode("latin-1").decode(_ENCODING) for line in lines] or [""]
    return ["\n".join(lines[i : i + _CHUNK_LINES]) for i in range(0, len(lines), _CHUNK_LINES)]


def _items_table(pdf: _DocumentPDF, items, currency) -> None:
    pdf.set_font("helvetica", "", 9)
    with pdf.table(col_widths=_ITEM_COLS, text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), **_TABLE) as table:
        table.row((_t("Description"), _t("Qty"), _t("Unit price"), _t("Tax %"), _t("Amount")))
        for item in items or ():
            amount = _decimal(item.quantity) * _decimal(item.unit_price)
            numbers = (_number(item.quantity), _money(item.unit_price, currency), _number(item.tax_rate))
            for index, chunk in enumerate(_chunks(pdf, _clean(item.description, multiline=True))):
                values = (*numbers, _money(amount, currency)) if index == 0 else ("", "", "", "")
                table.row((chunk, *values))
        if not items:
            table.row().cell(_t("No line items"), colspan=5)
    pdf.ln(3)


def _totals(pdf: _DocumentPDF, rows: list[tuple[str, str, bool]]) -> None:
    """Right-aligned label/value rows, kept together on one page; the bold ones stand out."""
    if pdf.will_page_break(6 * len(rows)):
        pdf.add_page()
    for label, value, strong in rows:
        pdf.set_font("helvetica", "B" if strong else "", 10 if strong else 9)
        pdf.set_x(pdf.w - pdf.r_margin - 90)
        pdf.cell(50, 6, label, align="R")
        pdf.cell(40, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _money_rows(document) -> list[tuple[str, str, bool]]:
    currency, discount = document.currency, _decimal(document.discount)
    rows = [(_t("Subtotal"), _money(document.subtotal, currency), False)]
    if discount:
        rows.append((_t("Discount"), _money(-discount, currency), False))
    rows.append((_t("Tax"), _money(document.tax_total, currency), False))
    rows.append((_t("Total"), _money(document.total, currency), True))
    return rows


def _section(pdf: _DocumentPDF, title: str, text: str) -> None:
    if not text:
        return
    if pdf.will_page_break(16):  # keep the title with the first lines
        pdf.add_page()
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 9)
    pdf.multi_cell(0, 4.8, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _payments(pdf: _DocumentPDF, invoice) -> None:
    payments, currency = list(invoice.payments or ()), invoice.currency
    if payments:
        if pdf.will_page_break(22):
            pdf.add_page()
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(0, 6, _t("Payments received"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 9)
        with pdf.table(col_widths=(28, 46, 66, 34), text_align=("LEFT", "LEFT", "LEFT", "RIGHT"), **_TABLE) as table:
            table.row((_t("Date"), _t("Method"), _t("Reference"), _t("Amount")))
            for p in payments:
                table.row(
                    (_date(p.date), _clean(labels.payment_method(p)), _clean(p.reference), _money(p.amount, currency))
                )
        pdf.ln(3)
    paid = _decimal(invoice.amount_paid)
    balance = _decimal(invoice.total) - paid
    _totals(
        pdf, [(_t("Amount paid"), _money(paid, currency), False), (_t("Balance due"), _money(balance, currency), True)]
    )


def _start(kind: str, number: str, company_name: str, compress: bool) -> _DocumentPDF:
    title = f"{_clean(DOCUMENT_KINDS_BY_KEY[kind].label)} {number}"
    pdf = _DocumentPDF(_clean(company_name), title, compress)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 18)
    pdf.multi_cell(0, 9, title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    return pdf
