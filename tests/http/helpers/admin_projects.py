"""Shared by the admin project tests: the contacts who receive project emails and small queries."""

from __future__ import annotations

from sqlalchemy import select

from core.catalogs import PROJECT_SETTING_KEYS
from core.extensions import db
from core.models import Customer, OutboxEmail

ALL_SETTINGS = frozenset(PROJECT_SETTING_KEYS)


PROJECT_FANS = ["both@acme.example", "project@acme.example"]


def outbox() -> list[tuple[str, str]]:
    return sorted(tuple(row) for row in db.session.execute(select(OutboxEmail.event, OutboxEmail.to_address)))


def emails(event: str, recipients: list[str]) -> list[tuple[str, str]]:
    return sorted((event, r) for r in recipients)


def acme_customer(project) -> Customer:
    return db.session.get(Customer, project.customer_id)


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)
