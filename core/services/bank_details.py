"""The company's bank account for transfers (account holder, IBAN, BIC), kept in ``settings``.

Read in one statement, or as three columns of a statement the page runs anyway
(``bank_details_columns``), so showing them costs no extra round trip. Stored normalised:
the IBAN and BIC compact and in capitals (``core.banking.compact``).
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from core.extensions import db
from core.models import Setting

BANK_ACCOUNT_HOLDER = "bank_account_holder"
BANK_IBAN = "bank_iban"
BANK_BIC = "bank_bic"
BANK_KEYS = (BANK_ACCOUNT_HOLDER, BANK_IBAN, BANK_BIC)


class BankDetails(NamedTuple):
    """The company's account; ``iban`` empty means no account is set (no bank transfer shown)."""

    account_holder: str = ""
    iban: str = ""
    bic: str = ""

    @classmethod
    def from_values(cls, values) -> BankDetails:
        """From a mapping of setting key (or ``bank_details_columns`` label) to value; a missing
        or NULL value is empty."""
        return cls(*((values.get(key) or "") for key in BANK_KEYS))

    def as_settings(self) -> dict[str, str]:
        """Setting key -> value, for ``core.services.settings.set_settings``."""
        return dict(zip(BANK_KEYS, self, strict=True))


NO_BANK_DETAILS = BankDetails()

_BANK_SETTINGS = select(Setting.key, Setting.value).where(Setting.key.in_(BANK_KEYS))


def bank_details() -> BankDetails:
    """The stored bank details, read in one statement (empty fields when never set)."""
    return BankDetails.from_values(dict(db.session.execute(_BANK_SETTINGS).all()))


def bank_details_columns():
    """The three settings as scalar subqueries labelled with their keys, to add to a statement
    a page runs anyway (``select(...).add_columns(*bank_details_columns())``); read the row back
    with ``BankDetails.from_values(row._mapping)``."""
    return tuple(select(Setting.value).where(Setting.key == key).scalar_subquery().label(key) for key in BANK_KEYS)
