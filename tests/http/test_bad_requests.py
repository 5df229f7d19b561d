"""Oversized bodies, unknown hosts and error pages: a clear 4xx, never a traceback."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from tests.conftest import login


def test_oversized_body_is_413_with_a_friendly_page(app, client, f):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "a@example.com", "password": "x" * 5000})
    assert response.status_code == 413
    assert "larger than allowed" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_unknown_host_is_refused_when_trusted_hosts_are_set(app, client):
    app.config["TRUSTED_HOSTS"] = ["portal.example.com"]
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/login", headers={"Host": "portal.example.com"}).status_code == 200


def test_method_not_allowed_and_not_found_pages(client, f):
    contact = f.make_contact()
    login(client, contact)
    response = client.get("/logout")
    assert response.status_code == 405 and "not available" in response.get_data(as_text=True)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and 'data-testid="portal-menu"' in response.get_data(as_text=True)


def test_security_headers_on_every_page(client, f):
    contact = f.make_contact()
    login(client, contact)
    response = client.get("/dashboard")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store" and "Cookie" in response.headers["Vary"]
    cookie = response.headers.get("Set-Cookie", "") or client.get("/dashboard").headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_static_files_stay_cacheable_for_logged_in_users(client, f):
    """Pages are no-store for a logged-in user; Bootstrap's and our static files are not."""
    login(client, f.make_contact())
    page = client.get("/dashboard").get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/(?:static|bootstrap)/[^"?]+)', page)
    assert any(a.startswith("/bootstrap/") for a in assets) and any(a.startswith("/static/") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert "no-store" not in response.headers.get("Cache-Control", ""), asset


def test_logins_and_failures_are_audited_without_secrets(client, f):
    contact = f.make_contact()
    client.post("/login", data={"email": contact.email, "password": "wrong password here"})
    login(client, contact)
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["login.failed", "login.succeeded"]
    assert all("wrong password" not in e.details for e in entries)
