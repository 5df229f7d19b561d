"""Objects for the authorization matrix: one builder per object kind a portal URL names.

``build(kind, customer, contact)`` creates an object of ``kind`` for ``customer`` (``contact``
is the contact that would own it, e.g. a ticket's author) and returns a ``Built``: the ids its
URLs take (``{"id": ..., "sub_id": ...}``), a text that identifies it (a number, subject or
name that a permitted page shows and no other customer's response may contain) and the rows
created, so a test can check that a refused request changed none of them.

Kinds named ``project_<item>`` are an item reached through a project (``id`` is the project,
``sub_id`` the item); ``ticket_file`` is a file on a ticket's first reply (``id`` the ticket).
Files are written to ``UPLOAD_FOLDER`` with the identifying text in their bytes, so a download
can be checked like a page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select

from core.catalogs import PROJECT_SETTING_KEYS
from core.extensions import db
from core.models import Discussion, Milestone, Passkey, StoredFile, Task
from tests import factories
from tests.pdf_streams import pdf_streams

# Documents a customer-area page may show anywhere (the kinds checked on pages that load nothing).
DOCUMENT_KINDS: tuple[str, ...] = ("invoice", "credit_note", "estimate", "contract", "proposal", "ticket", "project")
PROJECT_DOCUMENTS: tuple[str, ...] = ("invoice", "estimate", "contract", "proposal", "ticket")

# The URL placeholders each kind fills.
KIND_IDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(DOCUMENT_KINDS, ("id",)),
    "ticket_file": ("id", "sub_id"),
    **{f"project_{item}": ("id", "sub_id") for item in ("task", "milestone", "file", "discussion")},
    **{f"project_{doc}": ("id", "sub_id") for doc in PROJECT_DOCUMENTS},
    "colleague": ("id",),
    "passkey": ("id",),
}
OBJECT_KINDS: tuple[str, ...] = tuple(KIND_IDS)


@dataclass
class Built:
    ids: dict[str, int]
    text: str
    rows: list = field(default_factory=list)


def tag(label: str) -> str:
    """A text no other object has: ``label`` and a random suffix."""
    return f"{label} {uuid.uuid4().hex[:10]}"


def _write(data: bytes) -> str:
    """Write ``data`` to a fresh file in ``UPLOAD_FOLDER``; return its stored name."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = uuid.uuid4().hex
    (folder / stored_name).write_bytes(data)
    return stored_name


def _stored_file(customer_id: int, text: str, **owner) -> StoredFile:
    data = b"%PDF-1.4 " + text.encode()
    return StoredFile(
        customer_id=customer_id,
        original_name=f"{text.replace(' ', '-').lower()}.pdf",
        stored_name=_write(data),
        content_type="application/pdf",
        size=len(data),
        visible_to_customer=True,
        **owner,
    )


def _document(kind: str, customer, contact) -> Built:
    if kind == "invoice":
        obj = factories.make_invoice(customer)
        return Built({"id": obj.id}, obj.number, [obj])
    if kind == "credit_note":
        obj = factories.make_credit_note(customer)
        return Built({"id": obj.id}, obj.number, [obj])
    if kind == "estimate":
        obj = factories.make_estimate(customer)
        return Built({"id": obj.id}, obj.number, [obj])
    if kind == "contract":
        obj = factories.make_contract(customer, subject=tag("Contract"))
        return Built({"id": obj.id}, obj.subject, [obj])
    if kind == "proposal":
        obj = factories.make_proposal(customer, subject=tag("Proposal"))
        return Built({"id": obj.id}, obj.subject, [obj])
    if kind == "ticket":
        obj = factories.make_ticket(customer, contact, subject=tag("Ticket"))
        return Built({"id": obj.id}, obj.subject, [obj])
    if kind == "project":
        # Every customer setting on, uploads included (the defaults leave uploads off).
        obj = factories.make_project(customer, name=tag("Project"), settings=PROJECT_SETTING_KEYS)
        return Built({"id": obj.id}, obj.name, [obj])
    if kind == "passkey":
        # A passkey of ``contact`` (no real key: these tests never sign in with it).
        passkey = Passkey(contact_id=contact.id, credential_id=uuid.uuid4().hex, public_key=b"-", name=tag("Passkey"))
        db.session.add(passkey)
        db.session.commit()
        return Built({"id": passkey.id}, passkey.name, [passkey])
    raise AssertionError(f"unknown kind {kind!r}")


def _project_item(item: str, customer, contact) -> Built:
    project = _document("project", customer, contact).rows[0]
    text = tag(item.capitalize())
    if item in PROJECT_DOCUMENTS:
        built = _document(item, customer, contact)
        obj = built.rows[0]
        obj.project_id = project.id
        text = built.text
    elif item == "task":
        obj = Task(project_id=project.id, name=text, visible_to_customer=True)
    elif item == "milestone":
        obj = Milestone(project_id=project.id, name=text, visible_to_customer=True)
    elif item == "discussion":
        obj = Discussion(project_id=project.id, subject=text, visible_to_customer=True)
    elif item == "file":
        text = text.replace(" ", "-").lower()  # the file's name (the files tab shows it) and in its bytes
        obj = _stored_file(customer.id, text, project_id=project.id)
    else:
        raise AssertionError(f"unknown project item {item!r}")
    db.session.add(obj)
    db.session.commit()
    return Built({"id": project.id, "sub_id": obj.id}, text, [project, obj])


def build(kind: str, customer, contact) -> Built:
    """Create an object of ``kind`` for ``customer``; see the module docstring."""
    if kind in DOCUMENT_KINDS:
        return _document(kind, customer, contact)
    if kind.startswith("project_"):
        return _project_item(kind.removeprefix("project_"), customer, contact)
    if kind == "ticket_file":
        ticket = factories.make_ticket(customer, contact, subject=tag("Ticket"))
        stored = _stored_file(customer.id, ticket.subject, ticket_reply_id=ticket.replies[0].id)
        db.session.add(stored)
        db.session.commit()
        return Built({"id": ticket.id, "sub_id": stored.id}, ticket.subject, [ticket, stored])
    if kind == "colleague":
        # Not the first contact of the customer, so never its primary contact.
        colleague = factories.make_contact(customer, password=None, first_name="Colleague", last_name=uuid.uuid4().hex)
        assert not colleague.is_primary
        return Built({"id": colleague.id}, colleague.last_name, [colleague])
    if kind == "passkey":
        # A passkey of ``contact`` (no real key: these tests never sign in with it).
        passkey = Passkey(contact_id=contact.id, credential_id=uuid.uuid4().hex, public_key=b"-", name=tag("Passkey"))
        db.session.add(passkey)
        db.session.commit()
        return Built({"id": passkey.id}, passkey.name, [passkey])
    raise AssertionError(f"unknown kind {kind!r}")


# -- checking responses and the database ------------------------------------------------------------


def readable(response) -> str:
    """The response body as text to search; for a PDF, its raw bytes plus its inflated streams."""
    data = response.get_data()
    parts = [data]
    if data.startswith(b"%PDF"):
        parts += pdf_streams(data)
    return "\n".join(part.decode("latin-1") for part in parts)


def fingerprint(rows) -> tuple:
    """The number of rows of every table and every column of ``rows``, as stored now."""
    db.session.expire_all()
    counts = tuple(
        (table.name, db.session.scalar(select(func.count()).select_from(table))) for table in db.metadata.sorted_tables
    )
    values = tuple(
        (type(row).__name__, tuple((a.key, getattr(row, a.key)) for a in inspect(row).mapper.column_attrs))
        for row in rows
    )
    return counts, values
