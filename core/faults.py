"""What a request does when the database goes away under it.

A database restart, a failover or a dropped connection breaks every pooled connection at once.
SQLAlchemy then invalidates the whole pool at the first failed statement, so the next attempt
connects afresh. GET and HEAD requests only read (``core.read_only``), so running one again is
safe: it is retried once, on new connections, before the user sees anything. A POST is never
retried (it may have done its work); it, and a GET whose retry fails too, gets the app's own
503 page with ``Retry-After`` (see ``core.app``), never a bare server error.
"""

from __future__ import annotations

from flask import Flask, g, request
from sqlalchemy import exc as sa_exc

from core.extensions import db
from core.read_only import READ_ONLY_METHODS

# Seconds a client (or a load balancer) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` means the database cannot be reached right now (refused, dropped,
    restarting, or no pooled connection free in time), as opposed to a bug or bad data."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sa_exc.TimeoutError):
            return True
        if isinstance(error, sa_exc.DBAPIError) and (
            error.connection_invalidated or isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
        ):
            return True
        # A session used again after such an error says only "pending rollback": look at the cause.
        error = error.__cause__ or error.__context__
    return False


def _retryable(error: BaseException) -> bool:
    # A pool timeout already waited its full time: a second wait would only double it.
    return (
        request.method in READ_ONLY_METHODS
        and not g.get("database_retried")
        and not isinstance(error, sa_exc.TimeoutError)
        and database_unavailable(error)
    )


class PortalFlask(Flask):
    """Flask, with GET and HEAD requests run once more when the database connection dropped."""

    def handle_user_exception(self, e):
        """Retry a read-only request once on fresh connections when ``e`` is a lost database
        connection; otherwise (or when the retry fails too) hand the error to the error handlers."""
        if _retryable(e):
            g.database_retried = True
            self.logger.warning("Database connection lost during %s %s; retrying once.", request.method, request.path)
            # A fresh session (the old one holds the broken connection) and the user loaded again.
            db.session.remove()
            g.pop("_login_user", None)
            try:
                rv = self.preprocess_request()
                if rv is None:
                    rv = self.dispatch_request()
                return rv
            except Exception as again:  # the error handlers below decide what the user sees
                e = again
        return super().handle_user_exception(e)
