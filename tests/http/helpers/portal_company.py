"""Shared by the company page and colleague tests: a logged-in client per contact, the setting
that lets a primary contact manage colleagues, re-read rows and the audit entries written."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from tests.conftest import login


def client_of(app, contact):
    client = app.test_client()
    response = login(client, contact)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def manage_contacts(on: bool = True) -> None:
    set_settings({PRIMARY_MANAGES_CONTACTS: "1" if on else "0"})


def fresh(obj):
    """Re-read ``obj``: requests change it in their own database session."""
    db.session.expire_all()
    db.session.refresh(obj)
    return obj


def entries(action: str | None = None) -> list[AuditEntry]:
    """The audit entries this feature writes (logins are audited too, elsewhere: left out)."""
    db.session.expire_all()
    stmt = select(AuditEntry).where(~AuditEntry.action.startswith("login.")).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.session.scalars(stmt))


def details(entry: AuditEntry) -> dict:
    return json.loads(entry.details)
