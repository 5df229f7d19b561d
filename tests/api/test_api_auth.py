"""Who may call the API: bearer tokens with the right scope, never a cookie session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from api import RESOURCE_BLUEPRINTS
from core.api_scopes import RESOURCE_GROUPS, SCOPES, scope_name
from core.extensions import db
from core.models import ApiToken, utcnow
from core.services.api_tokens import revoke_token
from core.services.staff import set_role_and_active
from tests.api.conftest import ApiClient, assert_problem


def api_routes(app) -> list[tuple[str, str, str]]:
    """Every (method, path, group) of the resource blueprints, ids filled with 1."""
    groups = {f"api.{blp.name}": group for blp, group in RESOURCE_BLUEPRINTS}
    routes = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if blueprint not in groups:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path, groups[blueprint]))
    return routes


def test_every_resource_group_of_the_catalog_has_scopes(app):
    assert {scope_name(g.key, level) for g in RESOURCE_GROUPS for level in ("read", "write")} == SCOPES
    assert api_routes(app), "the API has routes"


def test_each_route_requires_its_groups_scope(app, api_with):
    """Table-driven from the catalog: a token with every scope but the one a route needs gets
    403 there; with only that scope it gets past the guard (anything but 401/403)."""
    for method, path, group in api_routes(app):
        needed = scope_name(group, "read" if method == "GET" else "write")
        without = api_with(SCOPES - {needed})
        response = without.open(method, path, json={})
        body = assert_problem(response, 403)
        assert needed in body["detail"]
        assert f'scope="{needed}"' in response.headers["WWW-Authenticate"]
        with_only = api_with({needed} | ({scope_name(group, "read")} if needed.endswith("write") else set()))
        assert with_only.open(method, path, json={}).status_code not in (401, 403), (method, path)


def test_write_scope_is_refused_to_a_read_only_token(app, api_with):
    reader = api_with({"contacts:read", "customers:read"})
    assert reader.get("/api/v1/contacts").status_code == 200
    assert_problem(reader.post("/api/v1/customers", json={"company": "Nope"}), 403)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer ptk_unknown-token-value", "Bearer " + "x" * 5000],
)
def test_missing_malformed_or_unknown_tokens_get_401(app, header):
    client = app.test_client()
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/customers", headers=headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_revoked_and_deactivated_creators_tokens_are_refused(app, f, make_token, admin_staff):
    _expired, expired_secret = make_token(expires_at=utcnow() + timedelta(seconds=1))
    db.session.execute(db.update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    revoked, revoked_secret = make_token()
    revoke_token(revoked, actor=admin_staff)
    other_admin = f.make_staff(email="other@example.com")
    _token, leavers_secret = make_token(staff=other_admin)
    assert ApiClient(app.test_client(), leavers_secret).get("/api/v1/customers").status_code == 200
    set_role_and_active(other_admin, is_admin=True, active=False, actor=admin_staff)
    for secret in (expired_secret, revoked_secret, leavers_secret):
        response = ApiClient(app.test_client(), secret).get("/api/v1/customers")
        assert_problem(response, 401)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_token_is_stored_hashed_and_found_only_by_the_whole_value(app, make_token):
    token, secret = make_token()
    assert secret.startswith(token.prefix) and secret not in (token.secret_hash, token.scopes)
    assert len(token.secret_hash) == 64
    assert ApiClient(app.test_client(), secret[:-1]).get("/api/v1/customers").status_code == 401
    assert ApiClient(app.test_client(), token.secret_hash).get("/api/v1/customers").status_code == 401


def test_a_logged_in_admin_browser_session_is_not_accepted(app, admin_client):
    assert admin_client.get("/admin/customers").status_code == 200
    response = admin_client.get("/api/v1/customers")
    assert_problem(response, 401)
    # Nor does an API answer ever set a cookie.
    assert "Set-Cookie" not in response.headers
    assert_problem(admin_client.post("/api/v1/customers", json={"company": "Via cookie"}), 401)


@pytest.mark.csrf
def test_bearer_requests_need_no_csrf_token(app, api):
    response = api.post("/api/v1/customers", json={"company": "No CSRF needed"})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_last_used_is_noted_at_most_once_a_minute(app, make_token):
    token, secret = make_token()
    assert token.last_used_at is None
    client = ApiClient(app.test_client(), secret)
    assert client.get("/api/v1/customers").status_code == 200
    first = db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id))
    assert first is not None
    assert client.get("/api/v1/customers").status_code == 200
    assert db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id)) == first
    # An hour later (as if), the next request notes it again.
    db.session.execute(db.update(ApiToken).values(last_used_at=first - timedelta(hours=1)))
    db.session.commit()
    assert client.get("/api/v1/customers").status_code == 200
    assert db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token.id)) > first - timedelta(hours=1)


def test_requests_are_throttled_per_token(app, make_token):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    _one, first_secret = make_token(name="first")
    _two, second_secret = make_token(name="second")
    first = ApiClient(app.test_client(), first_secret)
    for _ in range(3):
        assert first.get("/api/v1/customers").status_code == 200
    body = assert_problem(first.get("/api/v1/customers"), 429)
    assert body["detail"]
    # Another token has its own budget.
    assert ApiClient(app.test_client(), second_secret).get("/api/v1/customers").status_code == 200
