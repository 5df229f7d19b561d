"""Money, dates and template texts: the same text from the per-process caches as without them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_babel import force_locale

from core.i18n import money, short_date


@pytest.mark.parametrize(
    ("value", "currency", "english", "german"),
    [
        (Decimal("1234.5"), "EUR", "1,234.50 EUR", "1.234,50\xa0€"),
        (Decimal("1234.50"), "EUR", "1,234.50 EUR", "1.234,50\xa0€"),
        ("19.999", "USD", "20.00 USD", "20,00\xa0$"),
        (Decimal("-0.00"), "EUR", "0.00 EUR", "0,00\xa0€"),
        (None, "EUR", "0.00 EUR", "0,00\xa0€"),
        (-Decimal("12.30"), "GBP", "-12.30 GBP", "-12,30\xa0£"),
    ],
)
def test_money_in_both_languages(app, value, currency, english, german):
    with app.test_request_context():
        for _ in range(2):  # the second time from the cache, in either order of languages
            with force_locale("de"):
                assert money(value, currency) == german
            with force_locale("en"):
                assert money(value, currency) == english


def test_dates_in_both_languages(app):
    with app.test_request_context():
        for _ in range(2):
            with force_locale("en"):
                assert short_date(date(2026, 3, 5)) == "05 Mar 2026"
                assert short_date(datetime(2026, 3, 5, 23, 59)) == "05 Mar 2026"
                assert short_date(None) == "—"
            with force_locale("de"):
                assert short_date(date(2026, 3, 5)) == "5. März 2026"
                assert short_date(datetime(2026, 3, 5, 23, 59)) == "5. März 2026"


def test_template_texts_follow_the_language_escape_values_and_format_percent(app):
    template = "{{ _('Invoices') }}|{{ _('Log out') }}|{{ _('Hello %(name)s', name=who) }}|{{ _('100%% sure') }}"
    with app.test_request_context():
        for _ in range(2):  # texts without values come from the catalog's cache the second time
            with force_locale("de"):
                german = render_template_string(template, who="<b>")
            with force_locale("en"):
                english = render_template_string(template, who="<b>")
            assert english == "Invoices|Log out|Hello &lt;b&gt;|100% sure"
            assert german.startswith("Rechnungen|Abmelden|") and german.endswith("|Hello &lt;b&gt;|100% sure")
