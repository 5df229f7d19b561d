"""Deliver right after the request that queued email, when no separate dispatcher runs.

A request's own emails are delivered before its response (bounded in time, below). A password
reset request's work starts only once the response has been sent (``call_on_close``: the WSGI
server calls it after writing the body), so resolving the address and rendering the email never
add to the response time: the request answers in the same time whether or not the address has an
account.

The flush sends only the emails its own request queued (by Message-ID), for at most
``MAIL_FLUSH_SECONDS``: a backlog or a slow mail server never holds a web worker (a worker
held past gunicorn's timeout is killed, with rows left ``sending``). Whatever it did not send
stays pending for the dispatcher.
"""

from __future__ import annotations

from flask import Flask, g, has_app_context, has_request_context


def mark_queued(message_id: str | None = None) -> None:
    """Note an email queued by this request (its Message-ID), or with no id, a request whose
    email the dispatcher renders later (a password reset). Called by ``queue_email`` and the
    reset request; outside a request only a flush collecting its own emails keeps the ids."""
    if has_request_context():
        if message_id is None:
            g.outbox_deferred = True
        else:
            g.setdefault("outbox_message_ids", []).append(message_id)
    elif has_app_context() and message_id is not None and "outbox_collected" in g:
        g.outbox_collected.append(message_id)


def collected() -> list[str]:
    """The Message-IDs queued in this (flush) app context since it started collecting."""
    return list(g.get("outbox_collected", []))


def init_flush(app: Flask) -> None:
    """Register the flush of the outbox after each request that queued email."""

    def flush_outbox(message_ids: list[str], deferred: bool) -> None:
        # The request's contexts are gone by now: work in a fresh app context (own session).
        from .dispatch import dispatch_queued

        with app.app_context():
            g.outbox_collected = []
            try:
                dispatch_queued(message_ids, prepare_deferred=deferred, seconds=app.config["MAIL_FLUSH_SECONDS"])
            except Exception:  # delivery problems must never turn a done action into an error
                app.logger.exception("Flushing the email outbox failed; the dispatcher will retry.")

    @app.after_request
    def flush_after_response(response):
        # Runs after the view's service committed: a rolled-back change left no rows to send.
        message_ids = g.pop("outbox_message_ids", [])
        deferred = g.pop("outbox_deferred", False)
        if not app.config["MAIL_FLUSH_AFTER_REQUEST"]:
            return response
        if deferred:
            # A reset request: its work (is the address known? render, send) must not show in
            # the response time, so it starts once the response is sent.
            response.call_on_close(lambda: flush_outbox(message_ids, deferred))
        elif message_ids:
            # The request's own emails go out before its answer, bounded by MAIL_FLUSH_SECONDS:
            # a server that calls close() late (Werkzeug's, while the browser keeps the socket)
            # must not delay them.
            flush_outbox(message_ids, deferred)
        return response
