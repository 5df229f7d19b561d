"""Shared by the admin sales tests: a sales document's form with its line items, and small
queries."""

from __future__ import annotations

from datetime import date

from core.extensions import db

TODAY = date.today()


YEAR = TODAY.year


LINE = ("Design work", "2", "100", "19")  # 200.00 + 38.00 tax = 238.00


def lines_data(*lines) -> dict:
    data = {}
    for i, (description, quantity, price, tax) in enumerate(lines):
        data |= {
            f"lines-{i}-description": description,
            f"lines-{i}-quantity": quantity,
            f"lines-{i}-unit_price": price,
            f"lines-{i}-tax_rate": tax,
        }
    return data


def document_form(data: dict, customer=None, **fields) -> dict:
    """A sales document's form: ``data``, the customer (when given) and ``fields`` over both."""
    customer_field = {} if customer is None else {"customer": str(customer.id)}
    return data | customer_field | fields


def sales_form(customer=None, lines=(LINE,), **fields) -> dict:
    data = {"date": TODAY.isoformat(), "status": "draft", "currency": "", "discount": "", "notes": "", "project": ""}
    return document_form(data | lines_data(*lines), customer, **fields)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
