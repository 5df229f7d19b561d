"""The account statement's math, the period parsing and the open balances (no HTTP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.pdf import statement_pdf
from core.services.statements import (
    InvoiceOverview,
    account_statement,
    invoice_overview,
    parse_period,
    statement_currencies,
)
from tests import factories

D = Decimal
START, END = date(2025, 3, 1), date(2025, 3, 31)


def invoice(customer, number, issued, total, **options):
    return factories.make_priced_invoice(customer, number=number, issued=issued, total=total, **options)


@pytest.fixture
def account(f):
    """Invoices and payments before, inside, on the edges of and after March 2025."""
    customer = f.make_customer()
    # Before: invoiced 100 + 50, paid 30 before the period and 20 inside it.
    invoice(customer, "A", date(2025, 1, 10), "100.00", paid=[("30.00", date(2025, 2, 1)), ("20.00", date(2025, 3, 5))])
    invoice(customer, "B", date(2025, 2, 28), "50.00", paid=[("50.00", date(2025, 4, 2))], status="paid")
    # Inside, on both edges: invoiced 200 + 10, a payment on the last day.
    invoice(customer, "C", date(2025, 3, 1), "200.00", paid=[("200.00", date(2025, 3, 31))], status="paid")
    invoice(customer, "D", date(2025, 3, 31), "10.00")
    # Never counted: a draft, a cancelled invoice (and its payment), another currency, another customer.
    invoice(customer, "E-DRAFT", date(2025, 3, 10), "999.00", status="draft")
    invoice(customer, "F-VOID", date(2025, 3, 11), "777.00", status="cancelled", paid=[("7.00", date(2025, 3, 12))])
    invoice(customer, "G-USD", date(2025, 3, 12), "555.00", currency="USD")
    invoice(f.make_customer(), "H-OTHER", date(2025, 3, 13), "444.00")
    # After: invoiced in April.
    invoice(customer, "I", date(2025, 4, 1), "60.00")
    return customer


def test_opening_lines_running_balance_and_closing(account):
    s = account_statement(account.id, START, END, "EUR")
    assert s.opening_balance == D("120.00")  # 100 + 50 - 30
    assert [(line.date, line.kind, line.reference, line.invoiced, line.paid, line.balance) for line in s.lines] == [
        (date(2025, 3, 1), "invoice", "C", D("200.00"), D("0.00"), D("320.00")),
        (date(2025, 3, 5), "payment", "A", D("0.00"), D("20.00"), D("300.00")),
        (date(2025, 3, 31), "invoice", "D", D("10.00"), D("0.00"), D("310.00")),
        (date(2025, 3, 31), "payment", "C", D("0.00"), D("200.00"), D("110.00")),
    ]
    assert (s.invoiced, s.paid, s.closing_balance) == (D("210.00"), D("220.00"), D("110.00"))
    assert s.lines[-1].balance == s.closing_balance


def test_consecutive_periods_chain(account):
    march = account_statement(account.id, START, END, "EUR")
    april = account_statement(account.id, date(2025, 4, 1), date(2025, 4, 30), "EUR")
    assert april.opening_balance == march.closing_balance
    assert april.closing_balance == D("120.00")  # 110 + 60 invoiced - 50 paid
    everything = account_statement(account.id, date(2000, 1, 1), date(2099, 12, 31), "EUR")
    assert everything.opening_balance == D("0.00") and everything.closing_balance == april.closing_balance


def test_other_currency_and_empty_period(account):
    usd = account_statement(account.id, START, END, "USD")
    assert [line.reference for line in usd.lines] == ["G-USD"] and usd.closing_balance == D("555.00")
    quiet = account_statement(account.id, date(2024, 1, 1), date(2024, 12, 31), "EUR")
    assert quiet.lines == [] and quiet.opening_balance == quiet.closing_balance == D("0.00")
    assert statement_currencies(account.id, preferred="USD") == ["USD", "EUR"]
    assert statement_currencies(account.id, preferred="GBP") == ["EUR", "USD"]
    assert invoice_overview(account.id, date(2025, 6, 1)).years == [2025]


def test_statement_pdf_renders(account):
    data = statement_pdf(account_statement(account.id, START, END, "EUR"), account, "Northwind", compress=False)
    assert data.startswith(b"%PDF") and b"Closing balance" in data and b"110.00 EUR" in data


def test_open_balances_per_currency(f):
    customer = f.make_customer()
    today = date(2025, 6, 15)
    invoice(customer, "1", date(2025, 5, 1), "100.00", due=date(2025, 6, 1))  # overdue
    invoice(customer, "2", date(2025, 6, 1), "80.00", due=date(2025, 7, 1), paid=[("30.00", date(2025, 6, 2))])
    invoice(customer, "3", date(2025, 6, 1), "40.00", due=None, status="partially_paid")
    invoice(customer, "4", date(2025, 6, 1), "70.00", status="paid", paid=[("70.00", date(2025, 6, 3))])
    invoice(customer, "5", date(2025, 4, 1), "60.00", status="cancelled", due=date(2025, 5, 1))
    invoice(customer, "6", date(2025, 4, 1), "90.00", status="draft", due=date(2025, 5, 1))
    invoice(customer, "7", date(2025, 4, 1), "25.00", currency="USD", due=date(2025, 5, 1))
    # An earlier year adds to the same currency's balance; a draft adds no year.
    invoice(customer, "8", date(2024, 12, 1), "10.00", due=date(2025, 1, 1))
    invoice(customer, "9", date(2023, 3, 1), "99.00", status="draft")
    invoice(customer, "10", date(2022, 3, 1), "15.00", status="paid", paid=[("15.00", date(2022, 3, 2))])
    overview = invoice_overview(customer.id, today)
    balances = {b.currency: (b.due, b.overdue) for b in overview.balances}
    assert balances == {"EUR": (D("200.00"), D("110.00")), "USD": (D("25.00"), D("25.00"))}
    assert [b.currency for b in overview.balances] == ["EUR", "USD"]
    assert overview.years == [2025, 2024, 2022]
    assert invoice_overview(f.make_customer().id, today) == InvoiceOverview([], [])


TODAY = date(2026, 5, 20)


@pytest.mark.parametrize(
    ("raw_from", "raw_to", "expected", "error"),
    [
        (None, None, (date(2026, 1, 1), date(2026, 12, 31)), None),
        ("2025-02-01", "2025-02-28", (date(2025, 2, 1), date(2025, 2, 28)), None),
        ("2025-02-01", "", (date(2025, 2, 1), date(2026, 12, 31)), None),
        ("2030-02-01", None, (date(2030, 2, 1), date(2030, 12, 31)), None),
        ("", "2024-06-30", (date(2024, 1, 1), date(2024, 6, 30)), None),
        (" 2025-02-01 ", "2025-02-01", (date(2025, 2, 1), date(2025, 2, 1)), None),
        ("2025-13-01", "2025-12-31", (date(2026, 1, 1), date(2026, 12, 31)), "YYYY-MM-DD"),
        ("2025-02-30", None, (date(2026, 1, 1), date(2026, 12, 31)), "YYYY-MM-DD"),
        ("20250201", None, (date(2026, 1, 1), date(2026, 12, 31)), "YYYY-MM-DD"),
        ("yesterday", None, (date(2026, 1, 1), date(2026, 12, 31)), "YYYY-MM-DD"),
        ("2025-05-01", "2025-04-01", (date(2026, 1, 1), date(2026, 12, 31)), "after the end date"),
    ],
)
def test_parse_period(raw_from, raw_to, expected, error):
    period = parse_period(raw_from, raw_to, TODAY)
    assert (period.start, period.end) == expected
    if error is None:
        assert period.error is None
    else:
        assert error in period.error
