"""Shared by the emailed-link tests: the queued emails, the links and tokens in them, and what a
link's answer looks like."""

from __future__ import annotations

import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import itsdangerous.timed
from sqlalchemy import select

from core.extensions import db
from core.models import Contact, OutboxEmail
from core.notifications.notify import notify_invoice
from core.tokens import make_password_token

NEW_PASSWORD = "a brand new passphrase"


RESET_REQUESTED = "If an account uses this address, we have sent it an email"


USED = "already been used"


EXPIRED = "This link has expired"


# -- helpers -----------------------------------------------------------------------------------


def outbox(event: str | None = None, contact: Contact | None = None) -> list[OutboxEmail]:
    """The committed outbox rows (of ``event``, to ``contact``), oldest first."""
    db.session.expire_all()
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if event is not None:
        stmt = stmt.where(OutboxEmail.event == event)
    if contact is not None:
        stmt = stmt.where(OutboxEmail.contact_id == contact.id)
    return list(db.session.scalars(stmt))


def only_email(event: str, contact: Contact) -> OutboxEmail:
    rows = outbox(event, contact)
    assert len(rows) == 1, [(r.event, r.to_address) for r in rows]
    return rows[0]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def token_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[1]


def tampered(token: str) -> list[str]:
    """Copies of ``token`` with one character changed: in the payload, and inside the signature.

    (The very last character is avoided: its low bits are base64 padding and may not matter.)
    """
    copies = []
    for index in (1, len(token) - 6):
        old = token[index]
        new = "A" if old != "A" else "B"
        copies.append(token[:index] + new + token[index + 1 :])
    return copies


def old_password_token(monkeypatch, purpose: str, contact: Contact, age_seconds: int) -> str:
    """A password token made ``age_seconds`` ago (itsdangerous reads the clock when signing)."""
    past = time.time() - age_seconds
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: past))
        return make_password_token(purpose, contact)


def fresh(contact: Contact) -> Contact:
    """Re-read ``contact``: requests change it in their own database session."""
    db.session.expire_all()
    db.session.refresh(contact)
    return contact


def set_password_via(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def invoice_email(f, *, permissions=("invoices",), notifications=("invoice",), number=None):
    """A customer, its contact with the Invoice toggle, an invoice and its invoice_sent email."""
    customer = f.make_customer("Acme Ltd")
    contact = f.make_contact(customer, permissions=set(permissions), notifications=set(notifications))
    invoice = f.make_invoice(customer, number=number)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    return customer, contact, invoice, only_email("invoice_sent", contact)
