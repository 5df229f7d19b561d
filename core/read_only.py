"""GET and HEAD requests read the database without a transaction.

A page view only reads. Inside a transaction each request paid two extra round trips to
PostgreSQL (psycopg sends BEGIN before the first query, and the pool sends ROLLBACK when the
connection comes back); in DBAPI autocommit every SELECT runs on its own, and under READ
COMMITTED it sees exactly what it saw inside the transaction, since PostgreSQL takes a new
snapshot per statement there too. SQLite's driver never began a transaction for a SELECT, so
both databases now behave alike. Measured with ``bench/loadtest.py`` (tweak ``autocommit``):
the database's CPU per page fell by half or more.

The price is a rule, which is also HTTP's: GET and HEAD never write. It matters for security
as well, since CSRF protection only covers POST: a GET that wrote would let any site make a
logged-in contact's browser change data. An INSERT, UPDATE or DELETE on a read-only
connection raises ``ReadOnlyRequestError`` (a bug to fix, never a half-done write).
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from flask import has_request_context, request
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
_OPTION = "portal_read_only"
_AUTOCOMMIT: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


class ReadOnlyRequestError(RuntimeError):
    """A GET or HEAD request tried to change the database."""


def in_read_only_request() -> bool:
    """True while a GET or HEAD request is being handled (in this thread/context)."""
    return has_request_context() and request.method in READ_ONLY_METHODS


def _autocommit(engine: Engine) -> Engine:
    # One option engine per engine: it shares the engine's pool; SQLAlchemy switches the
    # DBAPI connection to autocommit on checkout and back on return (client-side flags only).
    variant = _AUTOCOMMIT.get(engine)
    if variant is None:
        variant = engine.execution_options(isolation_level="AUTOCOMMIT", **{_OPTION: True})
        _AUTOCOMMIT[engine] = variant
    return variant


class ReadOnlyAwareSession(Session):
    """Flask-SQLAlchemy's session, bound to an autocommit engine while a GET or HEAD runs.

    The bind is chosen when the session needs a connection, at the start of its transaction.
    Every request has its own app context and so its own session (the tests' client too), so
    a POST never inherits a GET's autocommit connection.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if bind is None and isinstance(engine, Engine) and in_read_only_request():
            return _autocommit(engine)
        return engine


@event.listens_for(Engine, "before_cursor_execute")
def _refuse_writes(conn, cursor, statement, parameters, context, executemany) -> None:
    if context is None or not (context.isinsert or context.isupdate or context.isdelete):
        return
    if conn.get_execution_options().get(_OPTION) and in_read_only_request():
        raise ReadOnlyRequestError(f"a {request.method} request must not write: {statement.split(None, 1)[0]}")
