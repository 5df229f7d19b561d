"""Text search in SQL: what a person types is matched literally, never as a LIKE pattern.

Every search box and prefix filter goes through these helpers, so ``%``, ``_`` and the escape
character itself match only themselves (``?q=%`` must not list everything), the same way on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards and the escape character escaped (for ``escape=ESCAPE``)."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def contains_text(column, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, case-insensitively and literally."""
    return func.lower(column).like(f"%{escape_like(text.lower())}%", escape=ESCAPE)


def starts_with_text(column, text: str) -> ColumnElement[bool]:
    """``column`` starts with ``text``, case-sensitively and literally."""
    return column.like(f"{escape_like(text)}%", escape=ESCAPE)
