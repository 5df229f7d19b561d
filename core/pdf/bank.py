"""The invoice PDF's "pay by bank transfer" block: the company's account, the amount and the
reference as text, and the GiroCode beside it for banking apps to scan."""

from __future__ import annotations

import io

from fpdf.enums import XPos, YPos

from core.girocode import BankTransfer

from .layout import _clean, _DocumentPDF, _money, _t

_CODE_MM = 34  # printed size of the code: banking apps read it easily from paper at this size
_LABEL_MM = 34


def bank_transfer_block(pdf: _DocumentPDF, transfer: BankTransfer) -> None:
    """Print ``transfer``: a heading, one line per detail and the GiroCode to their right, kept
    together on one page."""
    if pdf.will_page_break(_CODE_MM + 12):
        pdf.add_page()
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(0, 6, _t("Pay by bank transfer"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y()
    pdf.image(io.BytesIO(transfer.girocode.png), x=pdf.w - pdf.r_margin - _CODE_MM, y=top, w=_CODE_MM)
    rows = [
        (_t("Account holder"), _clean(transfer.details.account_holder)),
        (_t("IBAN"), _clean(transfer.iban_grouped)),
        (_t("BIC"), _clean(transfer.details.bic) or "-"),
        (_t("Amount"), _money(transfer.amount, transfer.currency)),
        (_t("Payment reference"), _clean(transfer.reference)),
    ]
    for label, value in rows:
        pdf.set_font("helvetica", "", 9)
        pdf.cell(_LABEL_MM, 5.5, label)
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("helvetica", "", 8)
    pdf.multi_cell(
        pdf.epw - _CODE_MM - 4,
        4.2,
        _t("Scan the GiroCode with your banking app to fill in the transfer."),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_y(max(pdf.get_y(), top + _CODE_MM) + 4)
