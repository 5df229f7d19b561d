"""Small security helpers shared by both blueprints."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import request


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a local path on this site, else None.

    Refuses the open-redirect family: ``//evil``, ``///evil``, ``\\\\evil``, ``/\\evil``,
    absolute URLs, ``javascript:``, whitespace or control characters, and the same hidden
    behind percent-encoding.
    """
    if not target:
        return None
    for candidate in {target, unquote(target), unquote(unquote(target))}:
        if not candidate.startswith("/") or candidate.startswith("//"):
            return None
        if "\\" in candidate or any(ord(ch) < 33 or ord(ch) == 127 for ch in candidate):
            return None
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return None
    return target


def referrer_path() -> str | None:
    """The local path (and query) of the request's Referer when it points at this site, else None."""
    url = request.referrer
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""))
