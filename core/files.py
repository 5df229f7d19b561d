"""Uploaded files: checked, stored outside ``static/`` under generated names, served only
through routes that authorize first.

Limits come from settings: ``UPLOAD_MAX_BYTES`` and ``UPLOAD_ALLOWED_EXTENSIONS``. A file that
breaks a rule raises ``ServiceError`` before anything is written.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import uuid
from pathlib import Path

from flask import abort, current_app, send_file
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from core.i18n import _
from core.models import StoredFile
from core.services import ServiceError


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def check_upload(upload: FileStorage) -> tuple[str, bytes]:
    """(safe original name, content) of an acceptable upload; raises ServiceError otherwise."""
    cfg = current_app.config
    name = secure_filename(upload.filename or "")[:200]
    if not name:
        raise ServiceError(_("Choose a file with a name."))
    allowed = cfg["UPLOAD_ALLOWED_EXTENSIONS"]
    if _extension(name) not in allowed:
        raise ServiceError(
            _("Files of this type are not allowed. Allowed: %(types)s.", types=", ".join(sorted(allowed)))
        )
    data = upload.stream.read(cfg["UPLOAD_MAX_BYTES"] + 1)
    if len(data) > cfg["UPLOAD_MAX_BYTES"]:
        raise ServiceError(_("The file is larger than %(size)d MB.", size=cfg["UPLOAD_MAX_BYTES"] // (1024 * 1024)))
    if not data:
        raise ServiceError(_("The file is empty."))
    return name, data


def store_upload(upload: FileStorage, *, customer_id: int, **owner) -> StoredFile:
    """Check and write ``upload`` to disk; returns an unsaved StoredFile row for the caller's session.

    ``owner`` sets exactly one of ``ticket_reply_id`` / ``project_id`` and optionally the
    uploader (``uploaded_by_contact_id`` / ``uploaded_by_staff_id``) and ``visible_to_customer``.
    If the caller's transaction rolls back, ``discard`` removes the written file.
    """
    name, data = check_upload(upload)
    stored_name = uuid.uuid4().hex
    path = upload_folder() / stored_name
    with open(path, "xb") as handle:
        handle.write(data)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return StoredFile(
        customer_id=customer_id,
        original_name=name,
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        **owner,
    )


def discard(files: list[StoredFile]) -> None:
    """Delete the bytes of files whose rows were not committed."""
    for stored in files:
        with contextlib.suppress(FileNotFoundError):
            os.remove(upload_folder() / stored.stored_name)


def serve(stored: StoredFile):
    """Send a stored file as a download (never rendered inline by the browser); 404 if its bytes are gone."""
    path = upload_folder() / stored.stored_name
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.original_name,
        max_age=0,
    )
