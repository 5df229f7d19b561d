"""Fixtures of the API tests: tokens with chosen scopes, and a client that sends one."""

from __future__ import annotations

import pytest

from core.api_scopes import SCOPES
from core.services.api_tokens import create_token
from tests import factories


class ApiClient:
    """The app's test client, sending ``Authorization: Bearer <token>`` (JSON in, JSON out)."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def open(self, method: str, path: str, *, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.secret is not None:
            headers.setdefault("Authorization", f"Bearer {self.secret}")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.open("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.open("PATCH", path, **kwargs)


@pytest.fixture
def admin_staff(app):
    return factories.make_staff(email="api-admin@example.com", name="Ada Admin")


@pytest.fixture
def make_token(app, admin_staff):
    """``make_token(scopes=..., staff=..., expires_at=...)`` -> (ApiToken, secret)."""

    def make(scopes=SCOPES, staff=None, expires_at=None, name="Test token"):
        return create_token(name, frozenset(scopes), expires_at, actor=staff or admin_staff)

    return make


@pytest.fixture
def api(app, make_token):
    """A client with a token holding every scope."""
    _token, secret = make_token()
    return ApiClient(app.test_client(), secret)


@pytest.fixture
def api_with(app, make_token):
    """``api_with(scopes)``: a client with a token holding ``scopes``."""

    def make(scopes, **kwargs):
        _token, secret = make_token(scopes=scopes, **kwargs)
        return ApiClient(app.test_client(), secret)

    return make


def assert_problem(response, status: int) -> dict:
    """``response`` is a problem+json of ``status``; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body
