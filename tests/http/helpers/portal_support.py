"""Shared by the customer-area support tests: a ticket form with its submission key, files on
tickets and on disk, and small queries."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail, StoredFile

KEY = "0123456789abcdef0123456789abcdef"


def emails() -> list[tuple[str, str]]:
    return [tuple(row) for row in db.session.execute(select(OutboxEmail.event, OutboxEmail.to_address))]


def files_on_disk(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def upload(name: str, data: bytes = b"some bytes"):
    return (io.BytesIO(data), name)


def ticket_form(**overrides) -> dict:
    form = {"subject": "Printer on fire", "department": "General", "priority": "high", "message": "It is burning."}
    return form | {"submission_key": KEY} | overrides


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def add_file(ticket, *, customer_id=None, visible=True, folder: Path | None = None, name="report.pdf"):
    """A file on the ticket's first reply, written to ``folder`` when given."""
    stored = StoredFile(
        customer_id=customer_id or ticket.customer_id,
        ticket_reply_id=ticket.replies[0].id,
        original_name=name,
        stored_name=f"f{ticket.id}{name}".replace(".", "")[:64],
        content_type="application/pdf",
        size=5,
        visible_to_customer=visible,
    )
    db.session.add(stored)
    db.session.commit()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored.stored_name).write_bytes(b"%PDF-")
    return stored
