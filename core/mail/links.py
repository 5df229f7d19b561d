"""Absolute links for emails, always built from ``PUBLIC_BASE_URL``, never from a request;
and their single-use tokens masked wherever staff read a stored email."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """The absolute URL of ``endpoint`` under the configured public base URL.

    The request's Host header plays no part, so a forged Host cannot poison emailed links.
    """
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc or "localhost", script_name=parts.path or "/")
    path = adapter.build(endpoint, values, force_external=False)
    return f"{parts.scheme}://{parts.netloc}{path}"


MASK = "…"
# A token passed as a query parameter (``?token=...``), also HTML-escaped (``&amp;token=``).
_TOKEN_PARAMETER = re.compile(r"([?&](?:amp;)?token=)[^&#\s\"'<>]+")


def _token_paths() -> re.Pattern[str] | None:
    """The URL paths that carry a token (every route with a ``<token>`` part), up to the token.

    Taken from the URL map, so a new single-use link (login, reset, invitation, unsubscribe,
    ...) is masked as soon as its route exists; built once per app (the map is fixed once the
    app serves).
    """
    extensions = current_app.extensions
    if "portal_token_paths" not in extensions:
        extensions["portal_token_paths"] = _build_token_paths()
    return extensions["portal_token_paths"]


def _build_token_paths() -> re.Pattern[str] | None:
    prefixes = sorted(
        {rule.rule.split("<token>")[0] for rule in current_app.url_map.iter_rules() if "token" in rule.arguments}
    )
    return re.compile("(" + "|".join(re.escape(p) for p in prefixes) + r")[^/?#\s\"'<>]+") if prefixes else None


def mask_single_use_links(text: str) -> str:
    """``text`` with the token of every single-use link replaced by "…".

    Staff read stored emails in the email log; a live reset or invitation link there would let
    whoever reads it take over the contact's account.
    """
    if not text:
        return text
    paths = _token_paths()
    if paths is not None:
        text = paths.sub(lambda m: m.group(1) + MASK, text)
    return _TOKEN_PARAMETER.sub(lambda m: m.group(1) + MASK, text)
