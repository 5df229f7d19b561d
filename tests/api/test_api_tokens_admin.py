"""The admin area's API token pages: administrators only, the token shown once, revocable, audited."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from core.extensions import db
from core.models import ApiToken, AuditEntry
from core.services.api_tokens import hash_token
from tests import factories
from tests.api.conftest import ApiClient
from tests.conftest import text

FORM = {"name": "ERP sync", "expires": "90", "access_contacts": "write", "access_customers": "read"}


def created_secret(response) -> str | None:
    match = re.search(r'id="new-token-value">([^<]+)<', text(response))
    return match.group(1) if match else None


def test_an_administrator_creates_a_token_shown_once_and_stored_hashed(app, admin_client):
    response = admin_client.post("/admin/api-tokens", data=FORM)
    assert response.status_code == 200
    secret = created_secret(response)
    assert secret and secret.startswith("ptk_")
    token = db.session.scalars(select(ApiToken)).one()
    assert token.secret_hash == hash_token(secret) and secret not in token.secret_hash
    assert token.scope_set == {"contacts:read", "contacts:write", "customers:read"}
    assert token.expires_at is not None and token.created_by.email == "boss@example.com"
    # Never again: the list shows the prefix only.
    page = text(admin_client.get("/admin/api-tokens"))
    assert secret not in page and token.prefix in page and "ERP sync" in page
    # The token works, with its scopes.
    client = ApiClient(app.test_client(), secret)
    assert client.get("/api/v1/contacts").status_code == 200
    assert client.post("/api/v1/customers", json={"company": "X"}).status_code == 403
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.created")).one()
    details = json.loads(entry.details)
    assert details["prefix"] == token.prefix and secret not in entry.details


def test_a_token_needs_a_name_and_some_access(app, admin_client):
    response = admin_client.post("/admin/api-tokens", data={"name": "Nothing", "expires": "30"})
    assert response.status_code == 200 and created_secret(response) is None
    assert "at least one group" in text(response)
    assert db.session.scalars(select(ApiToken)).first() is None


def test_revoking_stops_the_token_and_is_audited(app, admin_client):
    secret = created_secret(admin_client.post("/admin/api-tokens", data=FORM))
    token = db.session.scalars(select(ApiToken)).one()
    response = admin_client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert ApiClient(app.test_client(), secret).get("/api/v1/contacts").status_code == 401
    assert "Revoked" in text(admin_client.get("/admin/api-tokens"))
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.revoked")).one()


def test_staff_who_are_not_administrators_cannot_see_or_make_tokens(app, client):
    staff = factories.make_staff(email="clerk@example.com")
    staff.is_admin = False
    db.session.commit()
    assert client.post("/admin/login", data={"email": staff.email, "password": factories.PASSWORD}).status_code == 302
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data=FORM).status_code == 403
    assert db.session.scalars(select(ApiToken)).first() is None
