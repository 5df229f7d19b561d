"""Every search box takes its text literally: ``%``, ``_`` and ``\\`` match only themselves.

One helper (``core.search``) builds every LIKE in the code; these tests try the wildcards on
each search staff can reach, so a new search that bypasses the helper shows up here. They run
on SQLite and, with ``DATABASE_URL``, on PostgreSQL (whose default escape character differs).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Customer
from core.search import contains_text, escape_like, starts_with_text

# Company names that a wildcard would confuse with each other.
COMPANIES = ("Plain Ltd", "Hundred 100% Ltd", "Under_score Ltd", "Back\\slash Ltd")

# query -> the companies it must find (literal matching, case-insensitive)
CASES = {
    "%": {"Hundred 100% Ltd"},
    "_": {"Under_score Ltd"},
    "\\": {"Back\\slash Ltd"},
    "%%": set(),
    "r_s": {"Under_score Ltd"},
    "0%": {"Hundred 100% Ltd"},
    "d\\s": set(),
    "k\\s": {"Back\\slash Ltd"},
    "ltd": set(COMPANIES),
}


def test_escape_like_escapes_the_wildcards_and_the_escape_character():
    assert escape_like("a%b_c\\d") == "a\\%b\\_c\\\\d"
    assert escape_like("plain") == "plain"


@pytest.mark.parametrize("query, expected", CASES.items())
def test_helpers_match_literally_in_the_database(app, f, query, expected):
    for company in COMPANIES:
        f.make_customer(company)
    found = set(db.session.scalars(select(Customer.company).where(contains_text(Customer.company, query))))
    assert found == expected
    prefix = set(db.session.scalars(select(Customer.company).where(starts_with_text(Customer.company, "Under_"))))
    assert prefix == {"Under_score Ltd"}
    assert not db.session.scalars(select(Customer.company).where(starts_with_text(Customer.company, "%"))).all()


def test_admin_customer_search_is_literal(admin_client, f):
    for company in COMPANIES:
        f.make_customer(company)
    for query, expected in CASES.items():
        body = admin_client.get("/admin/customers", query_string={"q": query}).get_data(as_text=True)
        assert {c for c in COMPANIES if c.replace("\\", "&#92;") in body or c in body} == expected, query


def test_admin_customer_search_by_contact_email_and_vat_is_literal(admin_client, f):
    plain = f.make_customer("Plain Ltd", vat_number="DE100")
    other = f.make_customer("Other Ltd", vat_number="DE1X0")
    f.make_contact(plain, email="a_b@example.com")
    f.make_contact(other, email="axb@example.com")
    both = {"Plain Ltd", "Other Ltd"}
    cases = {"a_b": {"Plain Ltd"}, "a%b": set(), "de1_0": set(), "de100": {"Plain Ltd"}, "@": both}
    for query, expected in cases.items():
        body = admin_client.get("/admin/customers", query_string={"q": query}).get_data(as_text=True)
        assert {c for c in ("Plain Ltd", "Other Ltd") if c in body} == expected, query


def test_admin_project_search_is_literal(admin_client, f):
    for company in COMPANIES:
        f.make_project(f.make_customer(company), name=f"Project of {company}")
    for query, expected in CASES.items():
        body = admin_client.get("/admin/projects", query_string={"q": query}).get_data(as_text=True)
        found = {c for c in COMPANIES if f">Project of {c}<" in body}
        assert found == expected, query


def test_admin_ticket_search_is_literal(admin_client, f):
    for company in COMPANIES:
        f.make_ticket(f.make_customer(company), subject=f"Question from {company}")
    for query, expected in CASES.items():
        body = admin_client.get("/admin/tickets", query_string={"q": query}).get_data(as_text=True)
        subjects = set(re.findall(r'href="/admin/tickets/\d+">Question from ([^<]+)</a>', body))
        assert {s.replace("&#92;", "\\") for s in subjects} == expected, query


def test_admin_invoice_search_is_literal(admin_client, f):
    for index, company in enumerate(COMPANIES):
        f.make_invoice(f.make_customer(company), number=f"INV-LIT-{index}")
    for query, expected in CASES.items():
        body = admin_client.get("/admin/invoices", query_string={"q": query}).get_data(as_text=True)
        numbers = set(re.findall(r"INV-LIT-(\d)", body))
        assert {COMPANIES[int(n)] for n in numbers} == expected, query
    # The number itself: "_" and "%" are not wildcards there either.
    body = admin_client.get("/admin/invoices", query_string={"q": "inv_lit"}).get_data(as_text=True)
    assert "INV-LIT-" not in body
