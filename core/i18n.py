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
from weakref import WeakKeyDictionary

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency as babel_format_currency
from babel.support import NullTranslations
from flask import g, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_context, pass_eval_context
from markupsafe import Markup

# ``_`` for strings made during a request, ``_l`` for strings defined at import time (form
# labels, catalog entries), ``ngettext`` for counted ones: the one import for views and services.
__all__ = [
    "LANGUAGES",
    "_",
    "_l",
    "current_language",
    "lazy_ngettext",
    "money",
    "ngettext",
    "select_locale",
    "short_date",
]

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
# The markup of each catalog's fixed template texts (see ``_translate``), per catalog object:
# Flask-Babel keeps one catalog per app and locale for the process, so the texts are reused
# across requests, and a catalog that goes (an app discarded by the tests) takes its texts along.
_MARKUP: WeakKeyDictionary[object, dict[str, Markup]] = WeakKeyDictionary()
_OUTSIDE = ("en", _NULL_TRANSLATIONS, {})
# The template context's copy of ``_state()``, set for each render (``install_templates``).
_CONTEXT_KEY = "portal_i18n"


def _state() -> tuple[str, object, dict[str, Markup]]:
    """This locale's language code, message catalog and the catalog's markup cache; the catalog
    is looked up once per app context and locale.

    ``get_locale()`` is the locale Flask-Babel resolved for this request (or the one a
    ``force_locale`` block set, e.g. for an email); Flask-Babel's ``get_translations()`` would
    resolve its domain and build the locale's name for its cache key on every call, so the
    catalog is kept in ``g`` next to the locale it was found for.
    """
    locale = get_locale()
    if locale is None:  # outside an app context: English, as CLI output
        return _OUTSIDE
    cached = g.get("portal_catalog")
    if cached is None or cached[0] is not locale:
        catalog = get_translations()
        cached = g.portal_catalog = (locale, (locale.language, catalog, _MARKUP.setdefault(catalog, {})))
    return cached[1]


def _template_state(context) -> tuple[str, object, dict[str, Markup]]:
    # A page formats a hundred texts, amounts and dates: the state is looked up once per render
    # (a render never spans a force_locale boundary) and read from the template's context;
    # templates imported without context (macros) look it up themselves. ``parent`` holds the
    # render's variables (a plain dict: one lookup instead of the context's four calls).
    state = context.parent.get(_CONTEXT_KEY)
    return state if state is not None else _state()


def translations():
    """The current locale's message catalog (Flask-Babel's, cached per app context and locale)."""
    return _state()[1]


def _language() -> str:
    # The request's (or force_locale block's) language: "en" outside an app context.
    locale = get_locale()
    return locale.language if locale is not None else "en"


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


def lazy_ngettext(singular: str, plural: str, num: int, **values) -> LazyString:
    """``ngettext`` evaluated when the text is shown, for counted strings defined at import time
    (a form field's label that names its limit)."""
    return LazyString(ngettext, singular, plural, num, **values)


def _translate(eval_ctx, state: tuple[str, object, dict[str, Markup]], message: str, values: dict):
    _language_code, catalog, texts = state
    if values or not eval_ctx.autoescape:
        return _template_text(eval_ctx, catalog.ugettext(message), values)
    # A page shows 20-40 fixed texts ("Invoices", "Log out"): each catalog keeps the markup of
    # those it has translated, as the formatting below would make it again on every call.
    text = texts.get(message)
    if text is None:
        if len(texts) > 10_000:  # only literal texts are expected; never let it grow unbounded
            texts.clear()
        text = texts[message] = _template_text(eval_ctx, catalog.ugettext(message), values)
    return text


def _translate_plural(eval_ctx, state, singular: str, plural: str, num: int, values: dict):
    values.setdefault("num", num)
    return _template_text(eval_ctx, state[1].ungettext(singular, plural, num), values)


def _render_context() -> dict:
    # Each render gets callables bound to the catalog current when it starts (a render never
    # spans a force_locale boundary). Context-dependent (pass_context) callables would cost
    # more: Jinja copies the whole context for each of their calls inside a loop.
    state = _state()

    @pass_eval_context
    def gettext(eval_ctx, message: str, **values):
        return _translate(eval_ctx, state, message, values)

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, **values):
        return _translate_plural(eval_ctx, state, singular, plural, num, values)

    return {_CONTEXT_KEY: state, "_": gettext, "gettext": gettext, "ngettext": ngettext}


# The environment's own, for templates imported without context (macros): the catalog current
# at each call.
@pass_eval_context
def _template_gettext(eval_ctx, message: str, **values):
    return _translate(eval_ctx, _state(), message, values)


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **values):
    return _translate_plural(eval_ctx, _state(), singular, plural, num, values)


def _template_text(eval_ctx, text: str, values: dict):
    # Jinja's newstyle gettext semantics: the translation (our own catalog) is trusted markup,
    # ``%`` escapes the values, and the string is always formatted (so "%%" means "%").
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  # nosec B704
    return text % values


def install_templates(app) -> None:
    """This app's templates get ``_()`` / ``gettext()`` / ``ngettext()`` and the ``money`` and
    ``date`` filters, reading the locale and catalog once per render.

    They behave as Jinja's newstyle gettext, but ``_`` is one call instead of three (Jinja's
    ``_`` alias calls ``gettext``, which calls the catalog function, each through the
    template runtime's call checks): a page calls ``_`` 30 times or more.
    """
    app.context_processor(_render_context)
    app.add_template_filter(_template_money, "money")
    app.add_template_filter(_template_date, "date")
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: translations().ugettext(message),
        ngettext=lambda singular, plural, num: translations().ungettext(singular, plural, num),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)


def current_language() -> str:
    """The code of this request's language (``en`` or ``de``), e.g. for ``<html lang>``; ``en`` outside one."""
    return _language()


def money(value, currency: str = "EUR") -> str:
    """``1,234.50 EUR`` in English, ``1.234,50 €`` in German."""
    return _money_text(_amount(value), currency, _language())


@pass_context
def _template_money(context, value, currency: str = "EUR") -> str:
    return _money_text(_amount(value), currency, _template_state(context)[0])


_ZERO = Decimal("0.00")


def _amount(value) -> Decimal:
    amount = value if type(value) is Decimal else Decimal(value or 0)
    return amount if amount else _ZERO  # also for -0, which would otherwise show as "-0.00"


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
        return _date_text(value, _language())
    # A datetime: Flask-Babel converts it to the user's time zone first.
    return value.strftime("%d %b %Y") if _language() == "en" else format_date(value, "d. MMM y")


@pass_context
def _template_date(context, value: date | datetime | None) -> str:
    if type(value) is date:
        return _date_text(value, _template_state(context)[0])
    return short_date(value)


@lru_cache(maxsize=4096)
def _date_text(value: date, language: str) -> str:
    # A list page shows dozens of dates, most of them repeated across pages and requests; a
    # calendar date's text depends on nothing else, so each is formatted once per language.
    return value.strftime("%d %b %Y") if language == "en" else babel_format_date(value, "d. MMM y", locale=language)


def short_datetime(value: datetime | None) -> str:
    if not value:
        return "—"
    return value.strftime("%d %b %Y %H:%M") if _language() == "en" else format_datetime(value, "d. MMM y HH:mm")
