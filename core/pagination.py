"""One pagination helper for every list page."""

from __future__ import annotations

from flask import current_app, request

from core.extensions import db

MAX_PAGE = 100_000


def paginate(stmt, *, per_page: int | None = None):
    """A Flask-SQLAlchemy page of ``stmt`` for ``?page=``; junk or huge numbers never error.

    The page number is clamped to 1..MAX_PAGE so a giant value cannot overflow the database's
    OFFSET; a page past the end is simply empty.
    """
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), MAX_PAGE)
    return db.paginate(stmt, page=page, per_page=per_page or current_app.config["PAGE_SIZE"], error_out=False)
