"""Shared by the customer-area sales tests: queued emails, re-read rows, page text and PDF answers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail

TODAY = date.today()


OTHER_IP = "203.0.113.9"


def outbox(event: str) -> list[str]:
    """Recipient addresses of the queued emails of ``event``, sorted."""
    return sorted(db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.event == event)))


def fresh(model, obj_id):
    db.session.expire_all()
    return db.session.get(model, obj_id)


def expect_pdf(response, filename_start: str) -> None:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{filename_start}') and disposition.endswith('.pdf"')
