"""Small security helpers shared by both blueprints."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import request

# The Content-Security-Policy of every page (no inline script, nothing from elsewhere); a page
# that needs a third party (the card form: Stripe.js) widens it for itself with ``csp_header``.
BASE_CSP = {
    "default-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "object-src": ("'none'",),
    "frame-ancestors": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
}


def csp_header(**extra: tuple[str, ...]) -> str:
    """The Content-Security-Policy value: ``BASE_CSP`` plus ``extra`` sources per directive
    (``script_src=("https://js.stripe.com",)``), each on top of ``'self'``."""
    directives = dict(BASE_CSP)
    for name, sources in extra.items():
        directive = name.replace("_", "-")
        directives[directive] = tuple(dict.fromkeys((*directives.get(directive, ("'self'",)), *sources)))
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (what a CSP source names)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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
