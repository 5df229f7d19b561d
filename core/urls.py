"""``url_for`` for templates, remembered per app.

A customer-area page builds 30-40 URLs, most of them the same on every page (the menu, the
account links, the filters of a list); werkzeug builds each one again by walking the URL map,
which on the invoice list cost more than its four queries. A path-only URL depends on nothing
but the app, the endpoint, its arguments and the request's script root (the app registers no
``url_defaults``), so each app builds it once and then looks it up.

The cache belongs to the app (``app.extensions``) and only this app's templates get the cached
``url_for`` (their Jinja environment's globals): nothing of Flask is replaced, and two apps in
one process (the tests make several) never share a URL.

Anything else goes to Flask's ``url_for`` unchanged: ``_external``/``_anchor``/... options,
blueprint-relative endpoints (``.name``), arguments that cannot be a dict key, calls outside a
request, and every call once an app registers ``url_defaults`` (they could change the result).
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, has_request_context, request, url_for
from markupsafe import Markup

from core.extensions import bootstrap

_EXTENSION = "portal_urls"


def _build(script_root: str, endpoint: str, values: tuple) -> str:
    # script_root is part of the key only: url_for reads it from the request itself.
    return url_for(endpoint, **{name: value for name, _type, value in values})


def cached_url_for(endpoint: str, **values) -> str:
    """What ``flask.url_for(endpoint, **values)`` returns, built at most once per app for the
    same endpoint, arguments and script root (see the module docstring for what bypasses it)."""
    if not has_request_context() or endpoint.startswith(".") or any(key[0] == "_" for key in values):
        return url_for(endpoint, **values)
    build = current_app.extensions.get(_EXTENSION)
    if build is None:  # the app has url_defaults (or is not ours): Flask's own, every time
        return url_for(endpoint, **values)
    try:
        # The type is part of the key: 1, 1.0 and True are equal as dict keys but not as URLs.
        key = tuple(sorted((name, value.__class__, value) for name, value in values.items()))
        hash(key)
    except TypeError:  # an unhashable argument (e.g. a list): build it every time
        return url_for(endpoint, **values)
    return build(request.script_root, endpoint, key)


def bootstrap_assets(kind: str) -> Markup:
    """Bootstrap-Flask's ``<link>`` (``kind="css"``) or ``<script>`` tags (``"js"``), built once
    per app and script root: they depend only on configuration and the static URL, and building
    them (with their integrity hashes) on every page cost as much as a query."""
    app = current_app
    config = app.config
    tags = app.extensions[f"{_EXTENSION}_bootstrap"]
    return tags(kind, request.script_root, config["BOOTSTRAP_SERVE_LOCAL"], config["BOOTSTRAP_BOOTSWATCH_THEME"])


def _bootstrap_tags(kind: str, script_root: str, serve_local: bool, theme: str | None) -> Markup:
    # The arguments after ``kind`` are only the key: Bootstrap-Flask reads them itself.
    return bootstrap.load_css() if kind == "css" else bootstrap.load_js()


def install(app: Flask) -> None:
    """Give this app its own URL and Bootstrap-tag caches, make its templates' ``url_for`` the
    cached one (unless the app has ``url_defaults`` to honour), and give them ``bootstrap_assets``."""
    app.extensions[f"{_EXTENSION}_bootstrap"] = lru_cache(maxsize=16)(_bootstrap_tags)
    app.jinja_env.globals["bootstrap_assets"] = bootstrap_assets
    if any(app.url_default_functions.values()):
        return
    app.extensions[_EXTENSION] = lru_cache(maxsize=4096)(_build)
    app.jinja_env.globals["url_for"] = cached_url_for
