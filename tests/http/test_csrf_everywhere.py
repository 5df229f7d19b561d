"""Every state-changing route refuses a POST without a valid CSRF token (generated from the URL map)."""

from __future__ import annotations

import pytest

from core.extensions import csrf

pytestmark = pytest.mark.csrf

# RFC 8058 one-click unsubscribe is POSTed by mail clients without a form token; it is
# protected by its signed, single-purpose token instead. Stripe's webhook carries Stripe's
# signature instead (tests/http/test_card_payments_webhook.py).
EXEMPT = {"portal.unsubscribe", "webhooks.stripe_event"}
# The REST API (its blueprints are exempt) authenticates by bearer token only and never opens
# the session cookie, so a forged cross-site POST carries no credential at all: 401.
API = "api."


def post_routes(app, *, api: bool = False):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in EXEMPT and rule.endpoint.startswith(API) == api:
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
    assert {bp.name for bp in csrf._exempt_blueprints} <= {"api"} | {name for name, _ in api_children(app)}


def api_children(app):
    return [(bp.name, bp) for name, bp in app.blueprints.items() if name.startswith(API)]


def test_api_posts_without_a_bearer_token_are_refused(app, client):
    # With a staff session cookie too: tests/api/test_api_auth.py.
    routes = list(post_routes(app, api=True))
    assert routes
    for endpoint, url in routes:
        response = client.post(url, data={"csrf_token": "forged-token"})
        assert response.status_code == 401, (endpoint, url, response.status_code)


def test_every_post_without_token_or_with_a_forged_one_is_refused(app, client, f):
    f.make_staff(email="staff@example.com")
    for endpoint, url in post_routes(app):
        for data in ({}, {"csrf_token": "forged-token"}):
            response = client.post(url, data=data)
            assert response.status_code == 400, (endpoint, url, data, response.status_code)
