"""Languages and locale-aware formatting (Flask-Babel).

The locale is the logged-in contact's language, else the browser's preference among the
supported languages. Emails are rendered in the recipient's language (``force_locale``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import request
from flask_babel import format_currency, format_date, format_datetime, get_locale
from flask_login import current_user

LANGUAGES = {"en": "English", "de": "Deutsch"}


def select_locale() -> str:
    """The locale of this request: the user's language if it has one, else the browser's."""
    language = getattr(current_user, "language", None) if current_user else None
    if language in LANGUAGES:
        return language
    return request.accept_languages.best_match(LANGUAGES) or "en"


def _is_english() -> bool:
    return str(get_locale() or "en").startswith("en")


def money(value, currency: str = "EUR") -> str:
    """``1,234.50 EUR`` in English, ``1.234,50 €`` in German."""
    amount = Decimal(value or 0)
    if _is_english():
        return f"{amount:,.2f} {currency}"
    return format_currency(amount, currency)


def short_date(value: date | datetime | None) -> str:
    if not value:
        return "—"
    return value.strftime("%d %b %Y") if _is_english() else format_date(value, "d. MMM y")


def short_datetime(value: datetime | None) -> str:
    if not value:
        return "—"
    return value.strftime("%d %b %Y %H:%M") if _is_english() else format_datetime(value, "d. MMM y HH:mm")
