"""Templates' cached url_for builds exactly what Flask's url_for builds, per app (core/urls.py)."""

from __future__ import annotations

import pytest
from flask import url_for

from core.urls import cached_url_for

CASES = [
    ("portal.dashboard", {}),
    ("portal.invoices.index", {"status": "paid"}),
    ("portal.invoices.index", {"status": "paid", "year": 2025}),
    ("portal.invoices.index", {"year": 2025, "status": None}),
    ("portal.invoices.detail", {"invoice_id": 7}),
    ("static", {"filename": "css/app.css"}),
    ("portal.invoices.index", {"page": 1}),
    ("portal.invoices.index", {"page": True}),  # equal to 1 as a dict key, not as a URL
    ("portal.invoices.index", {"q": "a b&c"}),
]


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_same_urls_as_flask(app, script_root):
    app.extensions["portal_urls"].cache_clear()
    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": script_root}):
        for endpoint, values in CASES * 2:  # the second round comes from the cache
            assert cached_url_for(endpoint, **values) == url_for(endpoint, **values), (endpoint, values)
        assert cached_url_for("portal.dashboard").startswith(f"{script_root}/")


def test_options_unhashable_values_and_relative_endpoints_bypass_the_cache(app):
    build = app.extensions["portal_urls"]
    build.cache_clear()
    with app.test_request_context("/invoices"):
        assert cached_url_for("portal.dashboard", _external=True) == url_for("portal.dashboard", _external=True)
        assert cached_url_for("portal.dashboard", _anchor="x").endswith("#x")
        statuses = ["a", "b"]
        endpoint = "portal.invoices.index"
        assert cached_url_for(endpoint, status=statuses) == url_for(endpoint, status=statuses)
    assert build.cache_info().currsize == 0


def test_templates_use_it(app):
    assert app.jinja_env.globals["url_for"] is cached_url_for


def test_outside_a_request_it_is_flasks(app):
    app.config["SERVER_NAME"] = "portal.example"
    with app.app_context():  # a fresh context reads SERVER_NAME
        assert cached_url_for("portal.dashboard") == "http://portal.example/dashboard"


@pytest.mark.parametrize("script_root", ["", "/portal"])
def test_bootstrap_assets_are_bootstrap_flasks_tags(app, script_root):
    from core.extensions import bootstrap
    from core.urls import bootstrap_assets

    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": script_root}):
        for _ in range(2):  # the second round comes from the cache
            assert bootstrap_assets("css") == bootstrap.load_css()
            assert bootstrap_assets("js") == bootstrap.load_js()
        assert f'href="{script_root}/bootstrap/' in bootstrap_assets("css")
