"""Errors of the REST API as ``application/problem+json`` (RFC 9457).

Every error under ``API_PREFIX`` is answered here, whoever raised it: the app's error pages hand
API requests over (``core.app``), and so does the API's own error handler (``api.errors``). A
body has ``type`` (``about:blank``: the status says it all), ``title`` (the status phrase),
``status``, ``detail`` (a sentence for a person, in the request's language) and, for invalid
input, ``errors``: ``{field: [message, ...]}``.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response, current_app, has_request_context, request

from core.i18n import _

PROBLEM_MIMETYPE = "application/problem+json"
# Fields not tied to one input field (marshmallow's name for them).
GENERAL = "_schema"


def is_api_request() -> bool:
    """True while a request under ``API_PREFIX`` (``/api/v1``) is handled."""
    if not has_request_context():
        return False
    prefix = current_app.config["API_PREFIX"]
    return request.path == prefix or request.path.startswith(prefix + "/")


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem+json response with ``status``; never cached."""
    body: dict = {"type": "about:blank", "title": _phrase(status), "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    response = current_app.response_class(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def api_detail(status: int) -> str | None:
    """The API's own sentence for ``status`` (in the request's language), if it has one."""
    details = {
        401: _("A valid API token is required: send it as Authorization: Bearer <token>."),
        403: _("This token's scopes do not allow this request."),
        404: _("Nothing exists at this address, or the resource does not exist."),
        405: _("This method is not available for this address; see the Allow header."),
        412: _("The resource changed since you read it (If-Match does not match its ETag). Read it again."),
        415: _("Send the request body as application/json."),
        422: _("The request's input is not valid; see errors."),
        428: _("Send If-Match with the ETag you read, so that nobody else's change is overwritten."),
        429: _("Too many requests with this token. Wait for the time in Retry-After, then try again."),
    }
    return details.get(status)


def problem_from_exception(status: int, error: BaseException | None, detail: str | None = None) -> Response:
    """The problem for an HTTP error raised anywhere: field errors that webargs/flask-smorest
    attached (``error.data``) become ``errors``, its headers (``Retry-After``, ``Allow``,
    ``WWW-Authenticate``) are kept."""
    data = getattr(error, "data", None) or {}
    errors = field_errors(data.get("errors") or data.get("messages"))
    headers = {}
    if error is not None and hasattr(error, "get_headers"):
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                headers[name] = value
    headers.update(data.get("headers") or {})
    return problem(status, data.get("message") or detail, errors=errors or None, headers=headers)


def field_errors(messages) -> dict[str, list[str]]:
    """Flatten webargs/marshmallow messages (``{"json": {"email": ["..."]}}``, nested dicts,
    list indexes) into ``{"email": ["..."], "permissions.0": ["..."]}``."""
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            texts = [str(item) for item in value if not isinstance(item, dict | list | tuple)]
            if texts:
                flat.setdefault(prefix or GENERAL, []).extend(texts)
            for item in value:
                if isinstance(item, dict | list | tuple):
                    walk(prefix, item)
        elif value is not None:
            flat.setdefault(prefix or GENERAL, []).append(str(value))

    if isinstance(messages, dict):
        # The request location (json, query, headers) is no part of a field's name.
        for location, inner in messages.items():
            if location in ("json", "query", "querystring", "headers", "form", "files", "view_args"):
                walk("", inner)
            else:
                walk(str(location), inner)
    elif messages:
        walk("", messages)
    return flat


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
