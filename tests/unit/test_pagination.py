"""Pagination of statements built once (``pageable``), of columns (rows) or mapped objects (no HTTP)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, select

from core.extensions import db
from core.models import Invoice
from core.pagination import Page, pageable

TODAY = date(2026, 6, 15)


@pytest.fixture
def invoices(f):
    """Seven invoices of one customer (one of them a payment short of paid), one of another."""
    customer = f.make_customer()
    made = [f.make_invoice(customer, number=f"P-{n}") for n in range(7)]
    made[2].amount_paid = made[2].total - Decimal("0.01")
    made[2].status = "partially_paid"
    f.make_invoice(f.make_customer(), number="OTHER")
    db.session.commit()
    return customer, made


def _by_customer(*columns):
    stmt = select(*columns).where(Invoice.customer_id == bindparam("customer_id")).order_by(Invoice.id)
    return pageable(stmt)


def test_a_column_select_pages_rows_with_bound_limit_and_offset(invoices):
    customer, made = invoices
    stmt = _by_customer(Invoice.id, Invoice.number, Invoice.balance.label("balance"))
    params = {"customer_id": customer.id}

    first, second, third = (Page(stmt, n, 3, params) for n in (1, 2, 3))

    assert [row.number for row in first.items] == ["P-0", "P-1", "P-2"]
    assert first.items[2].balance == Decimal("0.01")
    assert (first.has_prev, first.has_next, second.has_next, third.has_next) == (False, True, True, False)
    assert [row.id for row in third.items] == [made[6].id]
    # The one statement served every page (nothing was rebuilt), and the total counts all pages.
    assert second.total == 7 and second.pages == 3 and third.total == 7


def test_a_select_of_mapped_objects_pages_objects(invoices):
    customer, made = invoices
    stmt = _by_customer(Invoice)

    page = Page(stmt, 2, 4, {"customer_id": customer.id})

    assert page.items == made[4:7] and all(isinstance(item, Invoice) for item in page.items)
    assert page.total == 7 and not page.has_next


def test_a_page_past_the_end_is_empty(invoices):
    customer, _ = invoices
    page = Page(_by_customer(Invoice.id), 9, 3, {"customer_id": customer.id})
    assert page.items == [] and page.has_prev and not page.has_next and page.total == 7


@pytest.mark.parametrize(
    ("status", "due", "paid"),
    [
        ("unpaid", TODAY - timedelta(days=1), "0"),
        ("unpaid", TODAY, "0"),
        ("unpaid", None, "0"),
        ("partially_paid", TODAY - timedelta(days=30), "10.00"),
        ("partially_paid", TODAY + timedelta(days=3), "10.00"),
        ("paid", TODAY - timedelta(days=30), "119.00"),
        ("cancelled", TODAY - timedelta(days=30), "0"),
        ("draft", TODAY - timedelta(days=30), "0"),
    ],
)
def test_invoice_rules_say_the_same_in_python_and_in_sql(f, status, due, paid):
    """``is_open``, ``is_overdue``, ``display_status`` and ``balance`` exist twice (on a loaded
    invoice and as SQL for lists and sums): both must agree on every kind of invoice."""
    invoice = f.make_invoice(f.make_customer())
    invoice.status, invoice.due_date, invoice.amount_paid = status, due, Decimal(paid)
    db.session.commit()

    in_sql = db.session.execute(
        select(
            Invoice.is_open,
            Invoice.is_overdue(TODAY),
            Invoice.display_status(TODAY),
            Invoice.balance,
        ).where(Invoice.id == invoice.id)
    ).one()

    in_python = (invoice.is_open, invoice.is_overdue(TODAY), invoice.display_status(TODAY), invoice.balance)
    assert (bool(in_sql[0]), bool(in_sql[1]), in_sql[2], Decimal(in_sql[3])) == in_python


def test_page_links_keep_the_filters_and_path_arguments(app):
    from urllib.parse import parse_qs, urlsplit

    from core.pagination import page_url

    with app.test_request_context("/projects/7/tasks?status=open&page=2&q=a+b%26c&other=1&_external=1"):
        url = urlsplit(page_url("portal.projects.tasks", 3, ("status", "q")))
    assert url.path == "/projects/7/tasks"
    # Only the list's own arguments are passed on: not "other", never url_for's "_external".
    assert parse_qs(url.query) == {"status": ["open"], "page": ["3"], "q": ["a b&c"]}
