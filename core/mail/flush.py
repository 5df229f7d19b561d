"""Deliver right after the request that queued email, when no separate dispatcher runs.

Delivery starts once the response has been sent (``call_on_close``: the WSGI server calls it
after writing the body), so neither SMTP nor the work deferred to the dispatcher (resolving a
reset request's address, rendering its email) adds to the response time. A password reset
request therefore answers in the same time whether or not the address has an account.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context


def mark_queued() -> None:
    """Note that this request queued email (called by ``queue_email`` and the reset request)."""
    if has_request_context():
        g.outbox_queued = True


def init_flush(app: Flask) -> None:
    """Register the flush of the outbox after each request that queued email."""

    def flush_outbox() -> None:
        # The request's contexts are gone by now: work in a fresh app context (own session).
        from .dispatcher import dispatch_all

        with app.app_context():
            try:
                dispatch_all()
            except Exception:  # delivery problems must never turn a done action into an error
                app.logger.exception("Flushing the email outbox failed; the dispatcher will retry.")

    @app.after_request
    def flush_after_response(response):
        # Runs after the view's service committed: a rolled-back change left no rows to send.
        if g.pop("outbox_queued", False) and app.config["MAIL_FLUSH_AFTER_REQUEST"]:
            response.call_on_close(flush_outbox)
        return response
