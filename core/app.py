"""The application factory."""

from __future__ import annotations

from datetime import date

from flask import Flask, abort, g, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import inspect as sa_inspect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core import (
    auth,  # noqa: F401  (registers the user loader)
    i18n,
    labels,
    logs,
    pagination,
    submissions,
    urls,
)
from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.config import DEV_SECRET_KEY, INSTANCE, Config
from core.extensions import babel, bootstrap, csrf, db, init_limiter, login_manager, mail, migrate
from core.faults import RETRY_AFTER_SECONDS, PortalFlask, database_unavailable
from core.i18n import _, _l
from core.problems import api_detail, is_api_request, problem_from_exception
from core.security import csp_header
from core.translations import TRANSLATIONS


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to a positive 32-bit integer, the range of our primary keys."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


ERROR_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please check what you entered.")),
    403: (_l("Access denied"), _l("You do not have permission to see this page.")),
    404: (_l("Not found"), _l("This page does not exist, or it is not available to you.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    409: (
        _l("Saved elsewhere at the same time"),
        _l(
            "Someone else saved the same thing at the same moment (for example the same email address). "
            "Nothing from your request was saved. Please reload the page and check."
        ),
    ),
    413: (_l("Too large"), _l("What you sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. Please try again later.")),
    503: (
        _l("Temporarily unavailable"),
        _l("The portal is briefly unavailable. Nothing is lost; please try again in a moment."),
    ),
}


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: config (class or mapping, then ``PORTAL_*`` env), extensions, blueprints."""
    app = PortalFlask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config.from_prefixed_env("PORTAL")
    _refuse_weak_secret_key(app)
    _trust_proxies(app)
    # First, so that every other before_request (and all they log) runs with the request's id.
    logs.init_app(app)
    INSTANCE.mkdir(exist_ok=True)

    # Ids beyond the database's integer range are a 404, not an overflow error deep in the driver.
    app.url_map.converters["int"] = BoundedIntConverter

    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE.parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    bootstrap.init_app(app)
    init_limiter(app)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.install_templates(app)

    from admin import bp as admin_bp
    from core.health import bp as health_bp
    from core.language import bp as language_bp
    from core.payments.webhook import bp as webhooks_bp
    from portal import bp as portal_bp

    app.register_blueprint(portal_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(language_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(webhooks_bp)

    from api import init_api

    init_api(app)

    from core.mail.flush import init_flush

    init_flush(app)
    submissions.install(app)
    _register_template_helpers(app)
    urls.install(app)
    _register_error_pages(app)
    _register_security_headers(app)
    _refuse_nul_characters(app)

    from core.cli import register_cli

    register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies, take the client's address and scheme from the
    X-Forwarded-For/-Proto entries those proxies added (and only those: entries a client sent
    itself are further left and ignored). Everything that reads ``request.remote_addr`` (login
    limits, audit log, signatures) and ``request.is_secure`` (HSTS) then sees the client."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise RuntimeError("TRUSTED_PROXIES must be 0 (no proxy) or the number of proxies in front of the app.")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


MIN_SECRET_KEY_BYTES = 32
KEY_HOWTO = (
    "Set SECRET_KEY to a random value of at least 32 bytes, for example the output of:\n"
    "    python3 -c 'import secrets; print(secrets.token_hex(32))'"
)


def _refuse_weak_secret_key(app: Flask) -> None:
    """Outside debug and testing, refuse to start with the development key or a short key.

    The key signs sessions, CSRF tokens and every emailed link (login, reset, invitation,
    unsubscribe): with a known or guessable key anyone could forge them, so a misconfigured
    process stops at start instead of serving.
    """
    if app.debug or app.testing:
        return
    key = app.config.get("SECRET_KEY") or ""
    size = len(key.encode() if isinstance(key, str) else key)
    if key == DEV_SECRET_KEY:
        raise RuntimeError(f"SECRET_KEY is the development key, which is public.\n{KEY_HOWTO}")
    if size < MIN_SECRET_KEY_BYTES:
        needed = f"at least {MIN_SECRET_KEY_BYTES} are needed"
        raise RuntimeError(f"SECRET_KEY is {size} bytes long; {needed}.\n{KEY_HOWTO}")


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def catalogs():
        return {
            "PERMISSIONS": PERMISSIONS,
            "NOTIFICATIONS": NOTIFICATIONS,
            "company_name": app.config["COMPANY_NAME"],
            "today": date.today(),
            "LANGUAGES": i18n.LANGUAGES,
            "current_language": i18n.current_language(),
        }

    app.add_template_filter(i18n.short_datetime, "datetime")

    app.add_template_filter(labels.label, "label")
    app.add_template_filter(labels.payment_method, "payment_method")
    app.add_template_filter(labels.status_badge, "badge")
    app.add_template_global(pagination.page_url, "page_url")
    app.add_template_global(pagination.list_url, "list_url")


def _user_for_error_page(code: int) -> None:
    """Make ``current_user`` on an error page one that needs no database: the user this request
    already loaded, if still intact, else anonymous. A server-side error always shows anonymous.

    Error pages must render while the database is down or the session is broken: loading the
    user there (Flask-Login loads it on first use) would raise again, inside the error handler,
    and the client would get the server's bare "Internal Server Error" instead of our page.
    """
    # The one place that uses Flask-Login's per-request slot (``g._login_user``, where
    # ``current_user`` lives): Flask-Login 0.6 has no public way to ask whether the user is
    # loaded without loading it, nor to set the request's user without writing the session
    # (``login_user``/``logout_user`` would log the visitor in or out with an error page).
    user = g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    intact = user is not None and (state is None or (state.persistent and not state.expired_attributes))
    if code >= 500 or not intact:
        g._login_user = login_manager.anonymous_user()


def _register_error_pages(app: Flask) -> None:
    def render_error(code: int, title: str | None = None, message: str | None = None, exc=None):
        # Never the database here (no rollback, no user loading): the session may be broken or
        # the server gone; teardown discards the session anyway.
        _user_for_error_page(code)
        default_title, default_message = ERROR_MESSAGES[code]
        if is_api_request():
            # The REST API never answers with a page: every error is problem+json there.
            response = problem_from_exception(code, exc, str(message or api_detail(code) or default_message))
            if code == 503:
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        # Keep the area's navigation on error pages, so "access denied" is not a dead end.
        in_admin = (request.blueprint or "").startswith("admin")
        page = render_template(
            "errors/error.html",
            code=code,
            title=title or default_title,
            message=message or default_message,
            layout="admin/layout.html" if in_admin else "portal/layout.html",
            home=url_for("admin.customers") if in_admin else url_for("portal.index"),
        )
        headers = {"Cache-Control": "no-store"}
        if code == 503:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return page, code, headers

    @app.before_request
    def load_user_first():
        # The logged-in user is loaded here, before the view, for every request (each one loads
        # it anyway, at the latest for the security headers): a database failure then happens
        # where a GET is retried (core.faults) and answered with the 503 page, never in an
        # after_request hook, and error pages (a 404 at an unknown URL too) keep the area's menu.
        if request.endpoint != "static":
            current_user._get_current_object()

    for code in ERROR_MESSAGES:
        app.register_error_handler(code, lambda exc, code=code: render_error(code, exc=exc))

    from flask_wtf.csrf import CSRFError
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError
    from werkzeug.exceptions import SecurityError

    @app.errorhandler(SQLAlchemyError)
    def database_error(exc):
        # Unreachable database (refused, dropped, restarting, pool exhausted): our 503 page with
        # Retry-After, after core.faults retried a GET once. Anything else is a bug: it goes on
        # to the 500 page (and is raised in tests).
        if not database_unavailable(exc):
            raise exc
        app.logger.warning("Database unavailable, answered 503: %s", exc)
        return render_error(503)

    @app.errorhandler(SecurityError)
    def untrusted_host(exc):
        # The Host header is not one of TRUSTED_HOSTS: no URL can be built for it, so answer
        # with a plain page instead of the templated one.
        return "Bad request: this host name is not served here.", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(IntegrityError)
    def lost_race(exc):
        # Two requests raced into a unique constraint past the service's own check (e.g. the same
        # email address invited twice at once): the data stayed right, the loser gets a message.
        app.logger.info("Unique constraint race answered with 409: %s", exc.orig)
        return render_error(409)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        message = _("Your form expired or was not sent from this site. Please reload the page and try again.")
        return render_error(400, _("Form expired"), message)


def _refuse_nul_characters(app: Flask) -> None:
    @app.before_request
    def refuse_nul():
        # No text field has a use for NUL, and PostgreSQL cannot store it: refuse it up front
        # (400) instead of failing deep in a service.
        values = list(request.args.values()) + [v for _, v in request.form.items(multi=True)]
        if any("\x00" in value for value in values):
            abort(400)


DEFAULT_CSP = csp_header()


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Static files (ours and Bootstrap-Flask's ``bootstrap.static``) hold nothing personal:
        # only pages are kept out of caches, so phones do not fetch Bootstrap on every page.
        is_static_file = (request.endpoint or "").rpartition(".")[2] == "static"
        if not is_static_file and current_user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response
