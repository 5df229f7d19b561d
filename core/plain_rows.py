"""Rows of column selects without the ORM's result machinery."""

from __future__ import annotations

from sqlalchemy import Row, Select

from core.extensions import db

# Set on a statement by ``mark_plain`` (once, where it is built): ``Page`` then runs it here.
PLAIN_ROWS = "portal_plain_rows"


def plain_rows(stmt: Select, params: dict | None = None) -> list[Row]:
    """The rows of ``stmt``, a select of columns (not of mapped objects), run on the session's
    connection: same transaction, same read-only rules for GET requests, but without the ORM's
    per-statement and per-row bookkeeping, which only selects of mapped objects need (a third of
    a small query's Python time). Pending ORM changes are not flushed first: for reads."""
    return db.session.connection().execute(stmt, params or {}).all()


def mark_plain(stmt: Select) -> Select:
    """``stmt`` tagged for ``plain_rows`` when it selects only columns (checked once, here)."""
    if any(isinstance(d["expr"], type) for d in stmt.column_descriptions):
        return stmt
    return stmt.execution_options(**{PLAIN_ROWS: True})
