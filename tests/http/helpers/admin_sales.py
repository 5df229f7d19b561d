"""Shared by the admin sales tests: a sales document's form with its line items, and small
queries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.extensions import db

TODAY = date.today()


YEAR = TODAY.year


LINE = ("Design work", "2", "100", "19")  # 200.00 + 38.00 tax = 238.00


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


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


def sales_form(customer=None, lines=(LINE,), **fields) -> dict:
    data = {"date": TODAY.isoformat(), "status": "draft", "currency": "", "discount": "", "notes": "", "project": ""}
    if customer is not None:
        data["customer"] = str(customer.id)
    data |= lines_data(*lines)
    data.update(fields)
    return data


def text(response) -> str:
    return response.get_data(as_text=True)


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
