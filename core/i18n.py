"""Languages and locale-aware formatting (Flask-Babel).

The locale is the logged-in user's language (contact or staff), else the language picked with
the switcher (kept in the session), else the browser's preference among the supported
languages. Emails are rendered in the recipient's language (``force_locale``).

Every user-visible string goes through ``_`` (or ``_l`` where it is defined at import time,
e.g. form labels and catalog entries) so that ``python3 manage.py translations`` extracts it;
``tests/unit/test_i18n_coverage.py`` fails on a string that does not.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency as babel_format_currency
from babel.support import NullTranslations
from flask import has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

# ``_`` for strings made during a request, ``_l`` for strings defined at import time (form
# labels, catalog entries), ``ngettext`` for counted ones: the one import for views and services.
__all__ = ["LANGUAGES", "_", "_l", "current_language", "money", "ngettext", "select_locale", "short_date"]

# Language names are shown in their own language, so nobody has to read a foreign word to find theirs.
LANGUAGES = {"en": "English", "de": "Deutsch"}


def select_locale() -> str:
    """The locale of this request: the user's language, else the switcher's, else the browser's."""
    if not has_request_context():
        # CLI commands and services called outside a request: English (emails force their own).
        return "en"
    language = getattr(current_user, "language", None) if current_user else None
    if language in LANGUAGES:
        return language
    chosen = session.get("language")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


_NULL_TRANSLATIONS = NullTranslations()


def _babel_state():
    """Flask-Babel's per-app-context state and its locale, or (None, None) outside a context.

    A page calls gettext dozens of times; Flask-Babel's own path looks the context up through
    several proxies and rebuilds the locale's name on every call. Here the locale object Flask-Babel
    resolved (or the one a ``force_locale`` block set) is read straight from the context.
    """
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None, None
    state = app_ctx.g.__dict__.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        locale = get_locale()  # resolves once and stores it in the state
        state = app_ctx.g.__dict__.get("_flask_babel")
    return state, locale


def translations():
    """The current locale's message catalog, looked up once per request and per locale."""
    state, locale = _babel_state()
    if state is None:
        return _NULL_TRANSLATIONS
    cached = getattr(state, "portal_translations", None)
    if cached is None or cached[0] is not locale:
        cached = (locale, get_translations())
        state.portal_translations = cached
    return cached[1]


def _(message: str, **values) -> str:
    """``message`` in the current language, with ``%(name)s`` placeholders filled from ``values``."""
    text = translations().ugettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values) -> str:
    """The singular or plural form for ``num`` in the current language; ``%(num)d`` is filled in."""
    values.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % values


def _l(message: str, **values) -> LazyString:
    """``_`` evaluated when the text is shown, for strings defined at import time."""
    return LazyString(_, message, **values)


@pass_eval_context
def _template_gettext(eval_ctx, message: str, **values):
    catalog = translations()
    if values or not eval_ctx.autoescape:
        return _template_text(eval_ctx, catalog.ugettext(message), values)
    # A page shows 20-40 fixed texts ("Invoices", "Log out"): each catalog keeps the markup of
    # those it has translated, as the formatting below would make it again on every call.
    texts = catalog.__dict__.setdefault("_portal_markup", {})
    text = texts.get(message)
    if text is None:
        if len(texts) > 10_000:  # only literal texts are expected; never let it grow unbounded
            texts.clear()
        text = texts[message] = _template_text(eval_ctx, catalog.ugettext(message), values)
    return text


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **values):
    values.setdefault("num", num)
    return _template_text(eval_ctx, translations().ungettext(singular, plural, num), values)


def _template_text(eval_ctx, text: str, values: dict):
    # Jinja's newstyle gettext semantics: the translation (our own catalog) is trusted markup,
    # ``%`` escapes the values, and the string is always formatted (so "%%" means "%").
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704
    return text % values


def install_template_gettext(app) -> None:
    """Templates' ``_()`` / ``gettext()`` / ``ngettext()`` use the cached catalog.

    They behave as Jinja's newstyle gettext, but ``_`` is one call instead of three (Jinja's
    ``_`` alias calls ``gettext``, which calls the catalog function, each through the
    template runtime's call checks): a page calls ``_`` 30 times or more.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: translations().ugettext(message),
        ngettext=lambda singular, plural, num: translations().ungettext(singular, plural, num),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


def current_language() -> str:
    """The code of this request's language (``en`` or ``de``), e.g. for ``<html lang>``; ``en`` outside one."""
    locale = _babel_state()[1]
    return locale.language if locale is not None else "en"


def _is_english() -> bool:
    # get_locale() is the locale Flask-Babel resolved once for this request (or the one a
    # force_locale() block set, e.g. for an email): compare its language, no string building.
    locale = _babel_state()[1]
    return locale is None or locale.language == "en"


def money(value, currency: str = "EUR") -> str:
    """``1,234.50 EUR`` in English, ``1.234,50 €`` in German."""
    amount = value if type(value) is Decimal else Decimal(value or 0)
    if not amount:
        amount = _ZERO  # also for -0, which would otherwise show as "-0.00"
    locale = _babel_state()[1]
    return _money_text(amount, currency, locale.language if locale is not None else "en")


_ZERO = Decimal("0.00")


@lru_cache(maxsize=8192)
def _money_text(amount: Decimal, currency: str, language: str) -> str:
    # Always two decimals, so equal amounts (1.5 and 1.50) have the same text and may share an
    # entry. Babel's currency formatting costs tens of microseconds, and a list shows dozens of
    # amounts, the same ones from one visit to the next.
    if language != "en":
        try:
            return babel_format_currency(amount, currency, locale=language)
        except InvalidOperation:  # beyond Babel's precision (only a PDF's input can be): English style
            pass
    return f"{amount:,.2f} {currency}"


def short_date(value: date | datetime | None) -> str:
    """``05 Mar 2026`` in English, ``5. März 2026`` in German; a dash for no date."""
    if not value:
        return "—"
    if type(value) is date:
        locale = _babel_state()[1]
        return _date_text(value, locale.language if locale is not None else "en")
    # A datetime: Flask-Babel converts it to the user's time zone first.
    return value.strftime("%d %b %Y") if _is_english() else format_date(value, "d. MMM y")


@lru_cache(maxsize=4096)
def _date_text(value: date, language: str) -> str:
    # A list page shows dozens of dates, most of them repeated across pages and requests; a
    # calendar date's text depends on nothing else, so each is formatted once per language.
    return value.strftime("%d %b %Y") if language == "en" else babel_format_date(value, "d. MMM y", locale=language)


def short_datetime(value: datetime | None) -> str:
    if not value:
        return "—"
    return value.strftime("%d %b %Y %H:%M") if _is_english() else format_datetime(value, "d. MMM y HH:mm")
