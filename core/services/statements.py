"""A customer's account in figures: open balances, invoice years and the account statement.

Read-only: nothing here changes the database. What counts on the account: every invoice the
customer can see that is not cancelled (drafts are never issued, cancelled invoices are void),
on its invoice date, and every payment on such an invoice (net of refunds), on its payment date. Amounts are
only ever added up within one currency. What is owed per currency is stated once, in
``core.services.amounts_due``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import extract, func, select

from core.extensions import db
from core.i18n import _
from core.labels import payment_method
from core.models import Invoice, Payment, money

from .amounts_due import ZERO, OpenBalance, amount, fold_balances, open_balances

COUNTED_STATUSES = ("unpaid", "partially_paid", "paid")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Period:
    """A statement period; ``error`` explains why the requested one was replaced by the default."""

    start: date
    end: date
    error: str | None = None


@dataclass(frozen=True)
class StatementLine:
    date: date
    kind: str  # "invoice" or "payment"
    invoice_id: int
    reference: str  # the invoice number
    description: str
    invoiced: Decimal  # what the line adds to the balance
    paid: Decimal  # what the line takes off the balance
    balance: Decimal  # running balance after this line


@dataclass(frozen=True)
class Statement:
    customer_id: int
    currency: str
    start: date
    end: date
    opening_balance: Decimal
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def invoiced(self) -> Decimal:
        return money(sum((line.invoiced for line in self.lines), ZERO))

    @property
    def paid(self) -> Decimal:
        return money(sum((line.paid for line in self.lines), ZERO))

    @property
    def closing_balance(self) -> Decimal:
        return money(self.opening_balance + self.invoiced - self.paid)


@dataclass(frozen=True)
class InvoiceOverview:
    """What the invoice list shows above the table: the years (newest first) in which the
    customer has an invoice it can see, and per currency what it owes (``OpenBalance``)."""

    years: list[int]
    balances: list[OpenBalance]


_YEAR = extract("year", Invoice.date)
# One statement for both (the list page used to run two queries), built once per process:
# the amounts due per currency and year, whose years are the list's years.
_OVERVIEW = open_balances(_YEAR)


def invoice_overview(customer_id: int, today: date) -> InvoiceOverview:
    """The customer's invoice years and amounts due in one query.

    ``years``: every year with an invoice that is not a draft, newest first. ``balances``: what
    ``core.services.amounts_due.amounts_due`` gives (per currency, sorted), from the same rows."""
    # Run as Core on the session's connection: the ORM's handling of a column select cost more
    # than the query itself.
    rows = db.session.connection().execute(_OVERVIEW, {"customer_id": customer_id, "today": today}).all()
    years = {int(row[1]) for row in rows}
    balances = fold_balances((currency, *figures) for currency, _year, *figures in rows)
    return InvoiceOverview(sorted(years, reverse=True), balances)


def statement_currencies(customer_id: int, preferred: str | None = None) -> list[str]:
    """The currencies of the customer's counted invoices, ``preferred`` (if among them) first."""
    found = set(
        db.session.scalars(
            select(Invoice.currency)
            .distinct()
            .where(Invoice.customer_id == customer_id, Invoice.status.in_(COUNTED_STATUSES))
        )
    )
    ordered = sorted(found)
    if preferred in found:
        ordered.remove(preferred)
        ordered.insert(0, preferred)
    return ordered


def default_period(today: date) -> Period:
    """The current calendar year."""
    return Period(date(today.year, 1, 1), date(today.year, 12, 31))


def _parse_date(raw: str | None) -> date | None:
    """A strict YYYY-MM-DD date, or None when empty; ValueError when malformed or impossible."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not _ISO_DATE.fullmatch(raw):
        raise ValueError(raw)
    return date.fromisoformat(raw)


def parse_period(raw_from: str | None, raw_to: str | None, today: date) -> Period:
    """The period the user asked for (``YYYY-MM-DD`` strings). A missing start is 1 January of
    the end's year, a missing end 31 December of the current year (of the start's year when
    that is later). Malformed or impossible dates, or a start after the end, give the current
    year instead, with ``error`` saying why. Never raises."""
    default = default_period(today)
    try:
        start = _parse_date(raw_from)
        end = _parse_date(raw_to)
    except ValueError:
        return Period(default.start, default.end, _("Enter the dates as YYYY-MM-DD. Showing the current year instead."))
    start = start or date((end or today).year, 1, 1)
    end = end or (default.end if start <= default.end else date(start.year, 12, 31))
    if start > end:
        return Period(default.start, default.end, _("The start date is after the end date. Showing the current year."))
    return Period(start, end)


def _counted(customer_id: int, currency: str):
    return (Invoice.customer_id == customer_id, Invoice.currency == currency, Invoice.status.in_(COUNTED_STATUSES))


def account_statement(customer_id: int, start: date, end: date, currency: str) -> Statement:
    """The customer's statement in ``currency`` from ``start`` to ``end`` (both included).

    Opening balance: everything invoiced before ``start`` minus everything paid before it.
    Lines: the period's invoices (adding their total) and payments (taking their amount off),
    by date, an invoice before a payment of the same day, each with the running balance.
    Closing balance = opening balance + invoiced - paid in the period.
    """
    counted = _counted(customer_id, currency)
    invoiced_before = db.session.scalar(select(func.sum(Invoice.total)).where(*counted, Invoice.date < start))
    paid_before = db.session.scalar(
        select(func.sum(Payment.amount - Payment.refunded_amount))
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .where(*counted, Payment.date < start)
    )
    opening = money(amount(invoiced_before) - amount(paid_before))

    entries: list[tuple[tuple, dict]] = []
    invoices = db.session.scalars(select(Invoice).where(*counted, Invoice.date >= start, Invoice.date <= end))
    for inv in invoices:
        entries.append(
            (
                (inv.date, 0, inv.id),
                {
                    "date": inv.date,
                    "kind": "invoice",
                    "invoice_id": inv.id,
                    "reference": inv.number,
                    "description": (
                        _("Invoice %(number)s, due %(date)s", number=inv.number, date=inv.due_date.isoformat())
                        if inv.due_date
                        else _("Invoice %(number)s", number=inv.number)
                    ),
                    "invoiced": amount(inv.total),
                    "paid": ZERO,
                },
            )
        )
    payments = db.session.execute(
        select(Payment, Invoice.number)
        .join(Invoice, Payment.invoice_id == Invoice.id)
        .where(*counted, Payment.date >= start, Payment.date <= end)
    ).all()
    for payment, number in payments:
        entries.append(
            (
                (payment.date, 1, payment.id),
                {
                    "date": payment.date,
                    "kind": "payment",
                    "invoice_id": payment.invoice_id,
                    "reference": number,
                    "description": (
                        _("Payment for invoice %(number)s (%(method)s)", number=number, method=method)
                        if (method := payment_method(payment))
                        else _("Payment for invoice %(number)s", number=number)
                    ),
                    "invoiced": ZERO,
                    "paid": amount(payment.amount - payment.refunded_amount),  # net of card refunds
                },
            )
        )

    balance, lines = opening, []
    for _key, values in sorted(entries, key=lambda entry: entry[0]):
        balance = money(balance + values["invoiced"] - values["paid"])
        lines.append(StatementLine(balance=balance, **values))
    return Statement(customer_id, currency, start, end, opening, lines)
