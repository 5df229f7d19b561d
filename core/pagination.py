"""One pagination helper for every list page.

A page costs one query: it fetches ``per_page + 1`` rows, and the extra row (never shown) says
whether there is a next page. The total, which only a "Page 2 of 7" label needs, is computed
lazily: on the last page it follows from the rows already fetched; otherwise reading
``total`` or ``pages`` runs one COUNT. The customer area's pager (``templates/portal/_pager.html``)
never reads them, so its list pages never count; the shared ``macros.pager`` (admin) shows
"Page x of y" and so pays for the COUNT only where there is more than one page.
"""

from __future__ import annotations

from functools import cached_property
from math import ceil
from weakref import WeakKeyDictionary

from flask import current_app, request
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import lazyload

from core.extensions import db
from core.urls import cached_url_for

MAX_PAGE = 100_000


# Whether a statement selects one mapped class, per statement: reading ``column_descriptions``
# costs more than running a small page's query (90 us for the invoice list's hybrid columns),
# and a ``pageable`` statement is built once and then run on every page view.
_ONE_ENTITY: WeakKeyDictionary[Select, bool] = WeakKeyDictionary()


def _selects_one_entity(stmt: Select) -> bool:
    known = _ONE_ENTITY.get(stmt)
    if known is None:
        descriptions = stmt.column_descriptions
        known = _ONE_ENTITY[stmt] = len(descriptions) == 1 and isinstance(descriptions[0]["expr"], type)
    return known


class Page:
    """The rows of one page of a select(), with what a pager needs to link to its neighbours.

    ``items`` are what SQLAlchemy gives for the statement: the objects of a select of one
    mapped class (``select(Invoice)``, as ``session.scalars``), else its rows (``row.number``).

    Attribute names follow Flask-SQLAlchemy's ``Pagination`` (``items``, ``page``, ``per_page``,
    ``has_prev``, ``prev_num``, ``has_next``, ``next_num``, ``total``, ``pages``), so templates
    written for it keep working.
    """

    def __init__(self, stmt: Select, page: int, per_page: int, params: dict | None = None):
        self.page = page
        self.per_page = per_page
        offset = (page - 1) * per_page
        self._stmt, self._params = stmt, params or {}
        if params is None:
            paged = stmt.limit(per_page + 1).offset(offset)
        else:  # built by ``pageable``: LIMIT and OFFSET are parameters like the others
            paged, params = stmt, {**params, "page_limit": per_page + 1, "page_offset": offset}
        if _selects_one_entity(stmt):
            rows = db.session.execute(paged, params).unique().scalars().all()
        else:
            # A select of columns needs none of the ORM's per-statement work (a third of a small
            # query's time): the session's connection runs it as Core, in the same transaction
            # and under the same read-only rule (pending ORM changes are not flushed first).
            rows = db.session.connection().execute(paged, params).all()
        self.has_next = len(rows) > per_page
        self.items = rows[:per_page]

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def total_known(self) -> bool:
        """True when ``total`` needs no COUNT query: this is a non-empty last page, or page 1."""
        return not self.has_next and (bool(self.items) or self.page == 1)

    @cached_property
    def total(self) -> int:
        """How many rows all pages hold (one COUNT query, unless ``total_known``)."""
        if self.total_known:
            return (self.page - 1) * self.per_page + len(self.items)
        # Without a ``pageable`` statement's LIMIT/OFFSET, copied only here, where a count is needed.
        counted = self._stmt.limit(None).offset(None).options(lazyload("*")).order_by(None).subquery()
        return db.session.scalar(select(func.count()).select_from(counted), self._params) or 0

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0


def list_url(endpoint: str, keep: tuple[str, ...] = (), **changes) -> str:
    """The URL of ``endpoint`` with the request's path arguments, the query arguments named in
    ``keep`` (the list's own filters, when given) and ``changes`` (a change to None drops it).

    Only the arguments a list owns are passed on: anything else in the query string could be one
    of ``url_for``'s own keywords (``_external``, ``_scheme``, ``_method``...) and make building
    the link fail, or leak into links a visitor is sent on to."""
    values = dict(request.view_args or {})
    values.update((name, request.args[name]) for name in keep if request.args.get(name))
    values.update(changes)
    return cached_url_for(endpoint, **{name: value for name, value in values.items() if value is not None})


def page_url(endpoint: str, number: int, keep: tuple[str, ...] = ()) -> str:
    """The URL of this list's page ``number``: ``endpoint`` with the request's path arguments and
    the list's own query arguments ``keep`` (filters, search), ``page`` replaced. For the pagers'
    links (a template global)."""
    return list_url(endpoint, keep, page=number)


def pageable(stmt: Select) -> Select:
    """``stmt`` with LIMIT and OFFSET as bound parameters, to be built once (at import) and run
    with ``paginate(stmt, params=...)``: SQLAlchemy then reuses the statement's cache key and
    compiled SQL instead of rebuilding both for every page view."""
    return stmt.limit(bindparam("page_limit", type_=Integer)).offset(bindparam("page_offset", type_=Integer))


def paginate(stmt: Select, *, per_page: int | None = None, params: dict | None = None) -> Page:
    """The page of ``stmt`` that ``?page=`` asks for; junk or huge numbers never error.

    The page number is clamped to 1..MAX_PAGE so a giant value cannot overflow the database's
    OFFSET; a page past the end is simply empty. ``stmt`` must have a deterministic ORDER BY
    (end it with the primary key) so rows neither repeat nor vanish between pages. With
    ``params``, ``stmt`` comes from ``pageable`` and ``params`` are its other bound values.
    """
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), MAX_PAGE)
    return Page(stmt, page, per_page or current_app.config["PAGE_SIZE"], params)
