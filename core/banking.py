"""Bank account numbers as people type them: IBAN and BIC normalised and checked.

Pure functions, no database: the settings form validates with them, the bank-transfer block
shows the IBAN grouped with ``group_iban``.
"""

from __future__ import annotations

import re

from core.i18n import _, ngettext

# Lengths of the IBANs of the SEPA countries (the EPC QR code is a SEPA credit transfer); an
# IBAN of another country is only checked for its general shape and check digits.
SEPA_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "VA": 22,
}  # fmt: skip
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_BIC_SHAPE = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")


def compact(value: str | None) -> str:
    """``value`` without any whitespace, in capitals: "de89 3704 0044..." -> "DE893704...".
    People copy IBANs and BICs with spaces (print groups) and in any case."""
    return "".join((value or "").split()).upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616's check: the country and check digits moved to the end, letters as 10..35, the
    number modulo 97 is 1. ``iban`` must be compact and of the right shape."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def iban_problem(iban: str) -> str | None:
    """Why the compact ``iban`` is not a valid IBAN (a message to show), or None when it is."""
    if not _IBAN_SHAPE.fullmatch(iban):
        return _("An IBAN starts with a two-letter country code and two check digits, followed by letters and digits.")
    expected = SEPA_IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return ngettext(
            "An IBAN from %(country)s has %(num)d character; this one has %(actual)d.",
            "An IBAN from %(country)s has %(num)d characters; this one has %(actual)d.",
            expected,
            country=iban[:2],
            actual=len(iban),
        )
    if not iban_checksum_ok(iban):
        return _("This IBAN's check digits do not match: please look for a typing error.")
    return None


def bic_problem(bic: str) -> str | None:
    """Why the compact ``bic`` is not a valid BIC (a message to show), or None when it is."""
    if not _BIC_SHAPE.fullmatch(bic):
        return _("A BIC has 8 or 11 letters and digits: bank, country, location and branch, e.g. COBADEFFXXX.")
    return None


def group_iban(iban: str) -> str:
    """The IBAN in groups of four, as printed on cards and statements: "DE89 3704 0044 ..."."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
