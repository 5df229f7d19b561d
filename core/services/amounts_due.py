"""What a customer owes: per currency, the open balance and the part of it past its due date.

The one statement of amounts due. The invoice list's totals, the dashboard's Invoices panel and
``amounts_due`` all select ``open_balances`` and fold its rows with ``fold_balances``, so they
agree to the cent. Amounts are only ever added up within one currency: 119 EUR and 119 USD are
two amounts due, never "238.00". Which invoices count comes from the ``Invoice`` hybrids alone:
``Invoice.is_open`` (unpaid or partially paid), ``Invoice.is_overdue`` and ``Invoice.balance``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Integer, Select, bindparam, func, select

from core.extensions import db
from core.models import Invoice, money

ZERO = Decimal("0.00")

# Bound parameters, so each statement is built (and its cache key computed) once per process.
CUSTOMER = bindparam("customer_id", type_=Integer)
TODAY = bindparam("today", type_=Date)


@dataclass(frozen=True)
class OpenBalance:
    """What the customer owes in one currency: all open balances, and the part past its due date."""

    currency: str
    due: Decimal
    overdue: Decimal


def open_balances(*group_by) -> Select:
    """A select, per currency (and per each of ``group_by``, e.g. the invoice year), of the
    customer's invoices that are not drafts: the currency, the ``group_by`` columns, how many
    are open, their open balance and its overdue part on ``:today``. Parameters:
    ``customer_id`` and ``today``. Feed its rows to ``fold_balances``."""
    return (
        select(
            Invoice.currency,
            *group_by,
            func.count().filter(Invoice.is_open).label("open_count"),
            func.sum(Invoice.balance).filter(Invoice.is_open).label("due"),
            func.sum(Invoice.balance).filter(Invoice.is_overdue(TODAY)).label("overdue"),
        )
        .where(Invoice.customer_id == CUSTOMER, Invoice.visible_to_customer)
        .group_by(Invoice.currency, *group_by)
    )


def amount(value) -> Decimal:
    """A sum from the database as exact cents (SQLite may hand sums back as floats: through
    ``str()`` so cents stay exact); ``None`` is zero."""
    return money(Decimal(str(value or 0)))


def fold_balances(rows: Iterable[tuple]) -> list[OpenBalance]:
    """One ``OpenBalance`` per currency with an open invoice, sorted by currency, from rows of
    ``(currency, open_count, due, overdue)`` (several rows of a currency are added up; a row
    whose currency is None, as an outer join gives, is skipped)."""
    due: dict[str, Decimal] = {}
    overdue: dict[str, Decimal] = {}
    for currency, open_count, open_sum, overdue_sum in rows:
        if currency is not None and open_count:
            due[currency] = due.get(currency, ZERO) + amount(open_sum)
            overdue[currency] = overdue.get(currency, ZERO) + amount(overdue_sum)
    return [OpenBalance(currency, money(due[currency]), money(overdue[currency])) for currency in sorted(due)]


_AMOUNTS_DUE = open_balances()


def amounts_due(customer_id: int, today: date) -> list[OpenBalance]:
    """What the customer owes per currency on ``today`` (one query): see ``fold_balances``."""
    return fold_balances(db.session.execute(_AMOUNTS_DUE, {"customer_id": customer_id, "today": today}).all())
