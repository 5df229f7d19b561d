"""IBAN/BIC checks (core/banking.py) and the GiroCode's rules (core/girocode.py), without HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.banking import bic_problem, compact, group_iban, iban_problem
from core.girocode import bank_transfer_for, epc_payload, girocode
from core.models import Invoice
from core.services.bank_details import BankDetails

ACCOUNT = BankDetails("Northwind Services GmbH", "DE89370400440532013000", "COBADEFFXXX")


@pytest.mark.parametrize(
    "iban",
    ["DE89370400440532013000", "GB29NWBK60161331926819", "FR7630006000011234567890189", "AT611904300234573201"],
)
def test_valid_ibans_pass(iban):
    assert iban_problem(iban) is None


@pytest.mark.parametrize(
    ("iban", "problem"),
    [
        ("DE89370400440532013001", "check digits"),  # one digit off
        ("DE98370400440532013000", "check digits"),  # check digits swapped
        ("DE8937040044053201300", "22 characters"),
        ("89370400440532013000", "country code"),
        ("DE89 3704", "country code"),  # not compact
        ("DE89370400440532013000" + "X" * 20, "country code"),  # over 34
    ],
)
def test_bad_ibans_are_named(app, iban, problem):
    with app.test_request_context():
        assert problem in iban_problem(iban)


def test_compact_and_grouped_forms():
    assert compact(" de89 3704\t0044 0532 0130 00\n") == "DE89370400440532013000"
    assert group_iban("DE89370400440532013000") == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    ("bic", "ok"), [("COBADEFFXXX", True), ("COBADEFF", True), ("COBADEF", False), ("1OBADEFF", False)]
)
def test_bic_shape(app, bic, ok):
    with app.test_request_context():
        assert (bic_problem(bic) is None) is ok


def test_epc_payload_follows_epc069_12():
    payload = epc_payload(ACCOUNT, Decimal("119"), "INV-2026-0001")
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "Northwind Services GmbH",
        "DE89370400440532013000",
        "EUR119.00",
        "",
        "",
        "INV-2026-0001",
    ]


@pytest.mark.parametrize(
    ("details", "amount"),
    [
        (ACCOUNT._replace(account_holder=""), "1"),
        (ACCOUNT._replace(account_holder="N" * 71), "1"),
        (ACCOUNT._replace(account_holder="Line\nbreak"), "1"),
        (ACCOUNT, "0.00"),
        (ACCOUNT, "1000000000.00"),
    ],
)
def test_epc_payload_refuses_what_the_standard_does_not_allow(details, amount):
    with pytest.raises(ValueError):
        epc_payload(details, Decimal(amount), "INV-1")


def test_the_code_is_made_once_per_account_amount_and_reference():
    first = girocode(ACCOUNT, Decimal("119.00"), "INV-CACHED")
    assert girocode(ACCOUNT, Decimal("119"), "INV-CACHED") is first
    assert girocode(ACCOUNT, Decimal("119.01"), "INV-CACHED") is not first
    assert first.png.startswith(b"\x89PNG") and first.data_uri.startswith("data:image/png;base64,")


def _invoice(status="unpaid", currency="EUR", total="119.00", paid="0"):
    return Invoice(number="INV-1", status=status, currency=currency, total=Decimal(total), amount_paid=Decimal(paid))


@pytest.mark.parametrize(
    ("invoice", "details", "offered"),
    [
        (_invoice(), ACCOUNT, True),
        (_invoice(status="partially_paid", paid="19"), ACCOUNT, True),
        (_invoice(currency="USD"), ACCOUNT, False),
        (_invoice(status="paid", paid="119.00"), ACCOUNT, False),
        (_invoice(status="cancelled"), ACCOUNT, False),
        (_invoice(status="draft"), ACCOUNT, False),
        (_invoice(status="unpaid", paid="119.00"), ACCOUNT, False),  # nothing left to pay
        (_invoice(), BankDetails(), False),  # no IBAN set
        (_invoice(), ACCOUNT._replace(account_holder=""), False),  # could not make a valid code
    ],
)
def test_bank_transfer_is_offered_only_for_an_open_eur_balance_and_a_set_iban(invoice, details, offered):
    transfer = bank_transfer_for(invoice, details)
    assert (transfer is not None) is offered
    if transfer is not None:
        assert transfer.amount == invoice.balance and transfer.iban_grouped == "DE89 3704 0044 0532 0130 00"
