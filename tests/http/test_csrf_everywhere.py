"""Every state-changing route refuses a POST without a valid CSRF token (generated from the URL map)."""

from __future__ import annotations

import pytest

from core.extensions import csrf

pytestmark = pytest.mark.csrf

# RFC 8058 one-click unsubscribe is POSTed by mail clients without a form token; it is
# protected by its signed, single-purpose token instead. Stripe's webhook carries Stripe's
# signature instead (tests/http/test_card_payments_webhook.py).
EXEMPT = {"portal.unsubscribe", "webhooks.stripe_event"}


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in EXEMPT:
            values = {}
            for arg in rule.arguments - set(rule.defaults or {}):
                converter = rule._converters[arg]
                values[arg] = sorted(converter.items)[0] if hasattr(converter, "items") else 1
            yield rule.endpoint, rule.build(values)[1]


def test_post_routes_are_many(app):
    assert len(list(post_routes(app))) > 40


def test_no_post_route_is_exempt_but_unsubscribe_and_the_stripe_webhook(app):
    exempt = {name.rsplit(".", 1)[-1] for name in csrf._exempt_views}
    assert exempt == {"unsubscribe_link", "stripe_event"}


def test_every_post_without_token_or_with_a_forged_one_is_refused(app, client, f):
    f.make_staff(email="staff@example.com")
    for endpoint, url in post_routes(app):
        for data in ({}, {"csrf_token": "forged-token"}):
            response = client.post(url, data=data)
            assert response.status_code == 400, (endpoint, url, data, response.status_code)
