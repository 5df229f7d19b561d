"""Amounts cross the gateway boundary in minor units, computed from the invoice's Decimal balance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.payments.gateway import from_minor, to_minor


@pytest.mark.parametrize(
    "amount, currency, minor",
    [("119.00", "EUR", 11900), ("0.01", "eur", 1), ("1234.56", "USD", 123456), ("500", "JPY", 500)],
)
def test_minor_units_follow_the_currency(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor
    assert from_minor(minor, currency) == Decimal(amount).quantize(Decimal("0.01"))
