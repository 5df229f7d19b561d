"""Uploads on a failing disk: a real, small tmpfs that is full or mounted read-only.

The user gets a clear message with the form (and what they typed) kept; no file is left without
a row and no row without a file. Mounting needs root (CI containers run as root); elsewhere
these tests are skipped.
"""

from __future__ import annotations

import io
import subprocess  # nosec B404
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import StoredFile, Ticket, TicketReply
from tests.conftest import login

KEY = "0123456789abcdef0123456789abcdef"


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)  # noqa: S603,S607  # nosec


@pytest.fixture
def small_disk(app, tmp_path):
    """A 256 KB tmpfs as the upload folder (unmounted afterwards)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder))
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {exc}")
    uploads = folder / "uploads"
    uploads.mkdir()
    app.config["UPLOAD_FOLDER"] = str(uploads)
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)  # noqa: S603,S607  # nosec


def _upload_files(folder: Path) -> list[str]:
    uploads = folder / "uploads"
    return sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def contact_client(client, f):
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer, first_name="Mia")
    assert login(client, contact).status_code == 302
    return client


def _ticket_form(data: bytes) -> dict:
    return {
        "subject": "Printer on fire",
        "department": "General",
        "priority": "high",
        "message": "A long description the user typed and must not lose.",
        "submission_key": KEY,
        "attachments": [(io.BytesIO(data), "log.txt")],
    }


def test_full_disk_keeps_the_ticket_text_and_leaves_no_partial_file(contact_client, small_disk):
    # Room for part of the file only: the write fails half way with ENOSPC.
    (small_disk / "filler").write_bytes(b"\0" * (192 * 1024))

    response = contact_client.post("/tickets/new", data=_ticket_form(b"x" * (200 * 1024)))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cannot store files right now" in page
    assert "A long description the user typed and must not lose." in page
    assert _upload_files(small_disk) == []
    assert _count(Ticket) == 0 and _count(TicketReply) == 0 and _count(StoredFile) == 0


def test_read_only_disk_keeps_the_reply_text(contact_client, f, small_disk):
    ticket_page = contact_client.post("/tickets/new", data=_ticket_form(b"first"))
    assert ticket_page.status_code == 302
    ticket = db.session.scalar(select(Ticket))
    assert _upload_files(small_disk) == [db.session.scalar(select(StoredFile.stored_name))]
    _mount("-o", "remount,ro", str(small_disk))

    response = contact_client.post(
        f"/tickets/{ticket.id}/reply",
        data={"message": "My reply, kept.", "attachments": [(io.BytesIO(b"second"), "more.txt")]},
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "cannot store files right now" in page
    assert "My reply, kept." in page
    assert _count(TicketReply) == 1 and _count(StoredFile) == 1


def test_every_stored_row_has_its_whole_file(contact_client, small_disk):
    """Uploads until the disk is full: each row's file is complete, and no file lacks a row."""
    sizes = []
    for number in range(8):
        data = bytes([65 + number]) * (40 * 1024)
        form = _ticket_form(data) | {"subject": f"Ticket {number}", "submission_key": f"{number:032x}"}
        contact_client.post("/tickets/new", data=form)
        sizes.append(len(data))
    rows = db.session.execute(select(StoredFile.stored_name, StoredFile.size)).all()
    assert 0 < len(rows) < 8  # some fit, then the disk was full
    on_disk = {name: (small_disk / "uploads" / name).stat().st_size for name in _upload_files(small_disk)}
    assert on_disk == {name: size for name, size in rows}
