"""Deliver right after the request that queued email, when no separate dispatcher runs."""

from __future__ import annotations

from flask import Flask, g, has_request_context


def mark_queued() -> None:
    """Note that this request queued email (called by ``queue_email``)."""
    if has_request_context():
        g.outbox_queued = True


def init_flush(app: Flask) -> None:
    @app.after_request
    def flush_outbox(response):
        # Runs after the view's service committed: a rolled-back change left no rows to send.
        if g.pop("outbox_queued", False) and app.config["MAIL_FLUSH_AFTER_REQUEST"]:
            from .dispatcher import dispatch_all

            try:
                dispatch_all()
            except Exception:  # delivery problems must never turn a done action into an error page
                app.logger.exception("Flushing the email outbox failed; the dispatcher will retry.")
        return response
