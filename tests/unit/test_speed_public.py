"""The speed layer stands on public APIs: nothing of a library is replaced process-wide, no
library's private state is read, and the per-app and per-render caches give what the uncached
path gives (core/i18n.py, core/urls.py, core/read_only.py, core/pagination.py, core/pdf_cache.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from flask import render_template_string, url_for
from flask_babel import force_locale

from core.urls import cached_url_for

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter: every public name of these modules and classes, before and after
# creating the app; any object replaced by the app's import or factory is printed.
_SNAPSHOT = """
import flask, flask.app, flask.helpers, flask.templating, flask_babel, flask_login, flask_login.utils
import jinja2, markupsafe, sqlalchemy.orm, werkzeug.routing, werkzeug.local

def snapshot():
    seen = {}
    for owner in (flask, flask.app, flask.helpers, flask.templating, flask_babel, flask_login,
                  flask_login.utils, jinja2, markupsafe, sqlalchemy.orm, werkzeug.routing,
                  flask.Flask, flask.app.Flask, jinja2.Environment, jinja2.runtime.Context,
                  flask_babel.Babel, flask_login.LoginManager, sqlalchemy.orm.Session,
                  werkzeug.routing.MapAdapter, werkzeug.local.LocalProxy):
        for name, value in vars(owner).items():
            seen[(getattr(owner, "__name__", repr(owner)), name)] = id(value)
    return seen

before = snapshot()
from core.app import create_app
from core.config import TestConfig
config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
app = create_app(config)
with app.test_request_context("/"):
    app.jinja_env.from_string("{{ url_for('portal.dashboard') }}{{ _('Invoices') }}").render()
after = snapshot()
print(sorted(key for key, value in before.items() if after.get(key) != value))
"""


def test_creating_the_app_replaces_nothing_in_flask_jinja_babel_login_or_sqlalchemy():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _SNAPSHOT], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_no_private_state_of_flask_or_flask_babel_is_read():
    needles = ("flask.globals", "_cv_request", "_cv_app", "_flask_babel", "plain_rows", "jinja_env.globals.update(url")
    found = [
        f"{path.relative_to(ROOT)}: {needle}"
        for folder in ("core", "portal", "admin")
        for path in (ROOT / folder).rglob("*.py")
        for needle in needles
        if needle in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_each_app_has_its_own_url_cache(app):
    from tests.conftest import make_app

    other = make_app()
    assert app.extensions["portal_urls"] is not other.extensions["portal_urls"]
    assert other.jinja_env.globals["url_for"] is cached_url_for
    assert app.jinja_env.globals["url_for"] is cached_url_for
    with other.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/other"}):
        assert cached_url_for("portal.dashboard") == url_for("portal.dashboard") == "/other/dashboard"
    with app.test_request_context("/"):
        assert cached_url_for("portal.dashboard") == "/dashboard"


def test_a_render_inside_force_locale_uses_that_language_in_filters_texts_and_macros(app):
    # The per-render catalog and language are taken when the render starts, inside the block.
    template = (
        "{% import 'macros.html' as m %}{{ _('Invoices') }}|{{ amount|money('EUR') }}|{{ day|date }}|"
        "{% for n in [1] %}{{ _('Invoices') }}{% endfor %}"
    )
    values = {"amount": Decimal("1234.5"), "day": date(2026, 3, 5)}
    with app.test_request_context("/"):
        english = render_template_string(template, **values)
        with force_locale("de"):
            german = render_template_string(template, **values)
        again = render_template_string(template, **values)
    assert english == again == "Invoices|1,234.50 EUR|05 Mar 2026|Invoices"
    assert german == "Rechnungen|1.234,50\xa0€|5. März 2026|Rechnungen"


def test_templates_without_the_render_context_look_the_language_up_themselves(app):
    # e.g. macros imported without context: the environment's own ``_`` and filters.
    template = app.jinja_env.from_string("{{ _('Invoices') }}|{{ 5|money('EUR') }}")
    with app.test_request_context("/"):
        with force_locale("de"):
            assert template.render() == "Rechnungen|5,00\xa0€"
        assert template.render() == "Invoices|5.00 EUR"
