"""Structured logs: one line per event, each with the id of the request (or job run) it belongs to.

Every web request gets an id: the ``X-Request-ID`` header a proxy or load balancer sent (when it
is a plain token of at most 64 characters), else a new random one. It is on every log line
written while the request runs (``request_id=...``), in the response's ``X-Request-ID`` header
and in gunicorn's access log line (``gunicorn.conf.py``), so one grep finds everything a request
did. Commands (the dispatcher, the reminders) wrap each batch or run in ``job("name")``, which
gives their lines an id the same way.

``LOG_FORMAT=json`` writes one JSON object per line instead of ``key=value`` text;
``LOG_LEVEL`` (default INFO) sets the level. Logs go to stderr for systemd or Docker to collect.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator

from flask import Flask, g, request

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_current_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_HANDLER_NAME = "portal"


def current_id() -> str:
    """The id of the request or job this code runs in ("-" outside both)."""
    return _current_id.get()


@contextlib.contextmanager
def job(name: str) -> Iterator[str]:
    """Give every log line inside the block the id ``<name>-<random>`` (one batch or run of a
    command); yields the id. Nested use restores the outer id afterwards."""
    token = _current_id.set(f"{name}-{uuid.uuid4().hex[:12]}")
    try:
        yield _current_id.get()
    finally:
        _current_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (the current request's or job's id) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current_id.get()
        return True


class TextFormatter(logging.Formatter):
    """``time level logger request_id message``, then the traceback, if any, on its own lines."""

    def __init__(self):
        super().__init__(
            "%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s",
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def make_handler(stream=None, fmt: str | None = None) -> logging.Handler:
    """A stream handler with the request id filter and the configured format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    fmt = (fmt or os.environ.get("LOG_FORMAT", "text")).lower()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    return handler


def is_configured() -> bool:
    """Whether this process already sends its log lines through the one handler (``configure``)."""
    return any(handler.get_name() == _HANDLER_NAME for handler in logging.getLogger().handlers)


def configure() -> None:
    """Send every logger's lines (the app's, the dispatcher's, SQLAlchemy's...) through one
    handler on the root logger, once per process."""
    root = logging.getLogger()
    if is_configured():
        return
    root.addHandler(make_handler())
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())


def init_app(app: Flask) -> None:
    """Configure logging and give each request its id (see the module's docstring)."""
    if not app.testing:
        configure()

    @app.before_request
    def bind_request_id():
        if "request_id" in g:  # run again by a retry (core.faults): the same request, the same id
            return
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = sent if _VALID_ID.match(sent) else uuid.uuid4().hex
        g.request_id_token = _current_id.set(g.request_id)

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response

    @app.teardown_request
    def unbind_request_id(_exc=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            with contextlib.suppress(ValueError):
                _current_id.reset(token)
