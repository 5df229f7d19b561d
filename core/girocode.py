"""Bank transfer of an invoice: the details to show and the GiroCode (EPC QR code, EPC069-12)
that banking apps scan to fill in a SEPA credit transfer.

Offered only for an open EUR invoice with a balance due, once the company's IBAN is set
(``bank_transfer_for``). The page and the PDF show the same PNG, made once per account, amount
and reference and kept in a small in-process cache: segno needs a few milliseconds for it, more
than the rest of the invoice page.
"""

from __future__ import annotations

import base64
import io
import threading
from decimal import Decimal
from typing import NamedTuple

import segno
from cachetools import LRUCache

from core.banking import group_iban
from core.services.bank_details import BankDetails

EPC_CURRENCY = "EUR"  # a SEPA credit transfer is in euro
_MAX_AMOUNT = Decimal("999999999.99")
_MAX_PAYLOAD_BYTES = 331
_MAX_VERSION = 13
_LIMITS = {"name": 70, "iban": 34, "bic": 11, "text": 140}


class Girocode(NamedTuple):
    payload: str  # the EPC069-12 text the code holds
    png: bytes  # the code as a PNG (embedded in the PDF)
    data_uri: str  # the same PNG as a data: URL (the CSP's img-src allows data:)


class BankTransfer(NamedTuple):
    """What the invoice page and PDF show for paying by bank transfer."""

    details: BankDetails
    iban_grouped: str
    amount: Decimal
    currency: str
    reference: str
    girocode: Girocode


def epc_payload(details: BankDetails, amount: Decimal, reference: str) -> str:
    """The EPC069-12 (version 002) text of a SEPA credit transfer of ``amount`` euro to the
    account, with ``reference`` as the remittance information.

    The amount is written with two decimals ("EUR119.00"); the reference goes to the
    unstructured remittance line (an invoice number is not an ISO 11649 creditor reference).
    ValueError when a value does not fit the standard (the caller then shows no code)."""
    values = {"name": details.account_holder.strip(), "iban": details.iban, "bic": details.bic, "text": reference}
    for field, limit in _LIMITS.items():
        if len(values[field]) > limit or "\n" in values[field] or "\r" in values[field]:
            raise ValueError(f"EPC {field} does not fit: {values[field]!r}")
    if not values["name"] or not values["iban"] or not Decimal("0.01") <= amount <= _MAX_AMOUNT:
        raise ValueError("EPC name, IBAN and an amount of 0.01 to 999999999.99 are required")
    lines = ["BCD", "002", "1", "SCT", values["bic"], values["name"], values["iban"]]
    lines += [f"{EPC_CURRENCY}{amount:.2f}", "", "", values["text"]]
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > _MAX_PAYLOAD_BYTES:
        raise ValueError("EPC payload over 331 bytes")
    return payload


def _make_girocode(payload: str) -> Girocode:
    # Error correction level M and at most version 13, as EPC069-12 requires (no boosting).
    qr = segno.make_qr(payload.encode("utf-8"), error="m", boost_error=False)
    if qr.version > _MAX_VERSION:
        raise ValueError(f"EPC QR code of version {qr.version}")
    png = _png(qr)
    return Girocode(payload, png, "data:image/png;base64," + base64.b64encode(png).decode("ascii"))


def _png(qr) -> bytes:
    out = io.BytesIO()
    qr.save(out, kind="png", scale=5, border=4)
    return out.getvalue()


_CACHE: LRUCache[tuple, Girocode] = LRUCache(maxsize=2048)
_LOCK = threading.Lock()  # cachetools' caches are not thread-safe


def girocode(details: BankDetails, amount: Decimal, reference: str) -> Girocode:
    """The GiroCode of this transfer, made once per (holder, IBAN, BIC, amount, reference) and
    then served from an in-process LRU (a few kB each, 2,048 kept). ValueError as ``epc_payload``."""
    key = (*details, amount.quantize(Decimal("0.01")), EPC_CURRENCY, reference)
    with _LOCK:
        code = _CACHE.get(key)
    if code is None:
        code = _make_girocode(epc_payload(details, amount, reference))
        with _LOCK:
            _CACHE[key] = code
    return code


def bank_transfer_for(invoice, details: BankDetails) -> BankTransfer | None:
    """The bank transfer to show for ``invoice``: only when it is open (unpaid or partially
    paid), in EUR, with a balance due, and the company's IBAN is set; else None. Also None when
    the details cannot make a valid EPC code (e.g. no account holder): no broken code is shown."""
    if not details.iban or invoice.currency != EPC_CURRENCY or not invoice.is_open:
        return None
    balance = invoice.balance
    if balance <= 0:
        return None
    try:
        code = girocode(details, balance, invoice.number)
    except ValueError:
        return None
    return BankTransfer(details, group_iban(details.iban), balance, invoice.currency, invoice.number, code)
