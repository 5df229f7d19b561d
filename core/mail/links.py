"""Absolute links for emails, always built from ``PUBLIC_BASE_URL``, never from a request."""

from __future__ import annotations

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
