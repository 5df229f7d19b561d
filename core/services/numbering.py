"""Document numbers: ``PREFIX-YYYY-NNNN`` (INV-2026-0001), sequential per prefix and year.

Each numbered kind's prefix is in ``core.document_kinds`` (``number_prefix``).

The next number is one above the highest number already stored. On PostgreSQL a transaction
advisory lock per prefix and year makes concurrent requests take their numbers one after the
other (the lock is held until commit). Everywhere else, and as a safety net, the unique index on
``number`` refuses a duplicate and ``with_number_retry`` rolls back and runs the whole unit of
work again, which reads the number the other request committed and takes the one after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from zlib import crc32

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.document_kinds import DocumentKind
from core.extensions import db
from core.i18n import _
from core.search import starts_with_text

from . import ServiceError

MAX_ATTEMPTS = 10

T = TypeVar("T")


def format_number(prefix: str, year: int, sequence: int) -> str:
    """``INV-2026-0007``: four digits at least, more once a year passes 9999 documents."""
    return f"{prefix}-{year}-{sequence:04d}"


def next_number(kind: DocumentKind, year: int) -> str:
    """The number after the highest ``PREFIX-YYYY-NNNN`` of the kind (``...-0001`` when none).

    The prefix is the kind's ``number_prefix`` in ``core.document_kinds``.
    Numbers with the stem but a non-numeric tail (typed by hand or imported) are skipped, so
    they can neither break nor reset the sequence.
    """
    model, prefix = kind.model, kind.number_prefix
    stem = f"{prefix}-{year}-"
    _serialise(stem)
    # Zero-padded numbers sort by length first, then as text: the first numeric one is the highest.
    stmt = (
        select(model.number)
        .where(starts_with_text(model.number, stem))
        .order_by(func.length(model.number).desc(), model.number.desc())
    )
    for number in db.session.scalars(stmt):
        tail = number[len(stem) :]
        if tail.isascii() and tail.isdigit():
            return format_number(prefix, year, int(tail) + 1)
    return format_number(prefix, year, 1)


def _serialise(stem: str) -> None:
    """Wait for other transactions numbering the same stem to commit (PostgreSQL only)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": crc32(stem.encode())})


def with_number_retry(unit_of_work: Callable[[], T], *, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``unit_of_work`` (which assigns a number and commits); on a clash, roll back and rerun.

    ``unit_of_work`` must build everything it writes on every call: after a rollback the
    session holds nothing from the failed attempt. Other rules it breaks surface as
    ``ServiceError`` from the rerun; after ``attempts`` clashes the user is asked to retry.
    """
    for _attempt in range(attempts):
        try:
            return unit_of_work()
        except IntegrityError:
            db.session.rollback()
    raise ServiceError(_("Another document took the same number at the same moment. Please submit again."))
