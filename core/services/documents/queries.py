"""The staff lists of sales documents across customers: search, filters, newest first.

Which columns and statuses each kind's list uses is in ``core.document_kinds``.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, func, or_, select

from core.document_kinds import DocumentKind
from core.extensions import db
from core.models import Contract, Customer, Invoice
from core.search import contains_text

MAX_QUERY = 100


def document_search(
    kind: DocumentKind, *, query: str = "", status: str = "", year: int | None = None, today: date
) -> Select:
    """A select() of the kind's documents, newest first, narrowed by the list's filters.

    ``query`` matches the number (or subject) or the customer's company, case-insensitively and
    literally (``%`` and ``_`` are not wildcards); a ``status`` outside ``kind.status_filters``
    or an impossible ``year`` is ignored.
    """
    model = kind.model
    date_column = getattr(model, kind.date_attr)
    stmt = select(model).order_by(date_column.desc(), model.id.desc())
    query = query.strip()[:MAX_QUERY].lower()
    if query:
        companies = select(Customer.id).where(contains_text(Customer.company, query))
        stmt = stmt.where(or_(contains_text(getattr(model, kind.title_attr), query), model.customer_id.in_(companies)))
    if status in kind.status_filters:
        stmt = stmt.where(_status_condition(model, status, today))
    if year is not None and 1900 <= year <= 9999:
        stmt = stmt.where(date_column >= date(year, 1, 1), date_column <= date(year, 12, 31))
    return stmt


def _status_condition(model, status: str, today: date):
    if model is Contract:
        return Contract.signed_at.is_not(None) if status == "signed" else Contract.signed_at.is_(None)
    if model is Invoice and status == "overdue":
        # The same rule as Invoice.is_overdue, in SQL.
        return Invoice.status.in_(("unpaid", "partially_paid")) & (Invoice.due_date < today)
    return model.status == status


def document_years(kind: DocumentKind, today: date) -> list[int]:
    """The years the list's year filter offers: from the oldest document to this year, newest first."""
    column = getattr(kind.model, kind.date_attr)
    oldest, newest = db.session.execute(select(func.min(column), func.max(column))).one()
    first = min(oldest.year if oldest else today.year, today.year)
    last = max(newest.year if newest else today.year, today.year)
    first = max(first, last - 30)  # a mistyped year 0201 must not make a select of 1,800 options
    return list(range(last, first - 1, -1))


def companies_by_id(customer_ids) -> dict[int, str]:
    """Company names for a page of documents, in one query."""
    ids = set(customer_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(Customer.id, Customer.company).where(Customer.id.in_(ids))).all())
