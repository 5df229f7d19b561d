"""``url_for`` for templates, remembered per process.

A customer-area page builds 30-40 URLs, most of them the same on every page (the menu, the
account links, the filters of a list); werkzeug builds each one again by walking the URL map,
which on the invoice list cost more than its four queries. A path-only URL depends on nothing
but the endpoint, its arguments and the request's script root (the app registers no
``url_defaults``), so it is built once per process and then looked up.

Anything else goes to Flask's ``url_for`` unchanged: ``_external``/``_anchor``/... options,
blueprint-relative endpoints (``.name``), arguments that cannot be a dict key, calls outside a
request, and every call once an app registers ``url_defaults`` (they could change the result).
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, request, url_for
from flask.globals import _cv_request
from markupsafe import Markup

from core.extensions import bootstrap


@lru_cache(maxsize=4096)
def _build(script_root: str, endpoint: str, values: tuple) -> str:
    # script_root is part of the key only: url_for reads it from the request itself.
    return url_for(endpoint, **{name: value for name, _type, value in values})


def cached_url_for(endpoint: str, **values) -> str:
    """What ``flask.url_for(endpoint, **values)`` returns, built at most once per process for
    the same endpoint, arguments and script root (see the module docstring for what bypasses it)."""
    if _cv_request.get(None) is None or endpoint.startswith(".") or any(key[0] == "_" for key in values):
        return url_for(endpoint, **values)
    try:
        # The type is part of the key: 1, 1.0 and True are equal as dict keys but not as URLs.
        key = tuple(sorted((name, value.__class__, value) for name, value in values.items()))
        hash(key)
    except TypeError:  # an unhashable argument (e.g. a list): build it every time
        return url_for(endpoint, **values)
    return _build(request.script_root, endpoint, key)


def bootstrap_assets(kind: str) -> Markup:
    """Bootstrap-Flask's ``<link>`` (``kind="css"``) or ``<script>`` tags (``"js"``), built once
    per process: they depend only on configuration and the static URL, and building them (with
    their integrity hashes) on every page cost as much as a query."""
    config = current_app.config
    theme = config["BOOTSTRAP_BOOTSWATCH_THEME"]
    return _bootstrap_tags(kind, request.script_root, config["BOOTSTRAP_SERVE_LOCAL"], theme)


@lru_cache(maxsize=64)
def _bootstrap_tags(kind: str, script_root: str, serve_local: bool, theme: str | None) -> Markup:
    # The arguments after ``kind`` are only the key: Bootstrap-Flask reads them itself.
    return bootstrap.load_css() if kind == "css" else bootstrap.load_js()


def install(app: Flask) -> None:
    """Make templates' ``url_for`` the cached one, unless the app has ``url_defaults`` to honour,
    and give templates ``bootstrap_assets``."""
    app.jinja_env.globals["bootstrap_assets"] = bootstrap_assets
    if any(app.url_default_functions.values()):
        return
    app.jinja_env.globals["url_for"] = cached_url_for
