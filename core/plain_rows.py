"""Rows of column selects without the ORM's result machinery."""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

from sqlalchemy import Select

from core.extensions import db

# Set on a statement by ``mark_plain`` (once, where it is built): ``Page`` then runs it here.
PLAIN_ROWS = "portal_plain_rows"


def plain_rows(stmt: Select, params: dict | None = None) -> list[tuple]:
    """The rows of ``stmt``, a select of columns (not of mapped objects), as named tuples (a
    column ``x`` is ``row.x``, or ``row[i]``), run on the session's connection: same transaction,
    same read-only rules for GET requests, but without the ORM's per-statement and per-row
    bookkeeping, which only selects of mapped objects need (a third of a small query's Python
    time). Pending ORM changes are not flushed first: for reads."""
    result = db.session.connection().execute(stmt, params or {})
    # Named tuples rather than SQLAlchemy's rows: a template reads each field of a list's rows,
    # and a row's attribute lookup costs five times a named tuple's.
    make = _row_type(tuple(result.keys()))._make
    return [make(row) for row in result.all()]  # all(): one fetchall, not a fetch per row


@lru_cache(maxsize=256)
def _row_type(keys: tuple[str, ...]):
    return namedtuple("PlainRow", keys, rename=True)  # rename: an unnamed column gets _0, _1...


def mark_plain(stmt: Select) -> Select:
    """``stmt`` tagged for ``plain_rows`` when it selects only columns (checked once, here)."""
    if any(isinstance(d["expr"], type) for d in stmt.column_descriptions):
        return stmt
    return stmt.execution_options(**{PLAIN_ROWS: True})
