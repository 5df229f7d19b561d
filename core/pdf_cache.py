"""The in-process cache of rendered PDFs and the key that makes a stale PDF impossible."""

from __future__ import annotations

import hashlib
import threading
from datetime import date

from cachetools import LRUCache
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.i18n import current_language


class PdfCache:
    """A bounded in-process LRU of rendered PDFs (per worker), by total size in bytes.

    fpdf2 needs 30-40 ms for an invoice, far more than the rest of the request; a repeat
    download of an unchanged document is served from here instead. The key is a digest of
    every input the renderer reads (see ``cache_key``), so any change to the document, its
    line items, payments or customer, the company name, the day (an invoice turns overdue)
    or the locale gives a new key: a changed document can never get a stale PDF.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        # cachetools' LRU evicts the least recently used PDFs once their total size (len) would
        # pass the budget; it is not thread-safe, and a worker may serve requests in threads.
        self._data: LRUCache[bytes, bytes] = LRUCache(maxsize=max(max_bytes, 1), getsizeof=len)
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: bytes) -> bytes | None:
        """The PDF stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            data = self._data.get(key)
            if data is None:
                self.misses += 1
            else:
                self.hits += 1
            return data

    def put(self, key: bytes, data: bytes) -> None:
        """Keep ``data`` under ``key``, evicting the least recently used PDFs beyond the budget;
        a PDF over a quarter of the budget is not kept (it would flush everything else)."""
        if len(data) > self.max_bytes // 4:
            return
        with self._lock:
            self._data[key] = data

    def clear(self) -> None:
        """Forget every PDF and the hit counts."""
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


def _columns(obj) -> tuple | None:
    """Every mapped column value of ``obj`` (loaded if needed); None if it is not an ORM object."""
    if obj is None:
        return ()
    try:
        mapper = inspect(obj).mapper
    except NoInspectionAvailable:
        return None
    return (mapper.class_.__name__, *((attr.key, getattr(obj, attr.key)) for attr in mapper.column_attrs))


def cache_key(kind: str, document, customer, company_name: str, compress: bool, extra: tuple = ()) -> bytes | None:
    """A digest of everything the PDF depends on, or None when it cannot be cached safely
    (objects that are not ORM rows, e.g. in unit tests). ``extra``: other plain values the PDF
    shows (the company's bank account)."""
    parts = [kind, company_name, compress, current_language(), date.today(), extra]
    for obj in (document, customer):
        columns = _columns(obj)
        if columns is None:
            return None
        parts.append(columns)
    # The relationships the renderer reads besides the document's own columns and the customer.
    document_kind = DOCUMENT_KINDS_BY_KEY.get(kind)
    for name in document_kind.pdf_related if document_kind else ():
        related = getattr(document, name)
        for obj in related if isinstance(related, list | tuple) else [related]:
            columns = _columns(obj)
            if columns is None:
                return None
            parts.append((name, columns))
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=20).digest()
