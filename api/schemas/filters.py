"""Query-string filters shared by every list's query schema (contacts, sales, projects, tickets)."""

from __future__ import annotations

from marshmallow import fields, validate

from .common import MAX_ID


def query_id(**kwargs) -> fields.Integer:
    """A row id in the query string (``?customer_id=7``): digits, within the database's range.

    Not ``common.record_id``: that one is strict (JSON numbers only), and a query string is text.
    """
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
