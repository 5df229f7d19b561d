"""Uploaded files: checked, stored outside ``static/`` under generated names, served only
through routes that authorize first.

Limits come from settings: ``UPLOAD_MAX_BYTES`` and ``UPLOAD_ALLOWED_EXTENSIONS``. A file that
breaks a rule raises ``ServiceError`` before anything is written.

A file and its row exist together or not at all. The bytes are written to a temporary name,
flushed to the disk and only then renamed to their final name, before the caller commits the row:
a row never points at missing or partial bytes. A disk that is full or read-only raises
``ServiceError`` (the form is shown again with what the user typed) and leaves nothing behind;
a failed commit removes the bytes again (``discard``).
"""

from __future__ import annotations

import contextlib
import errno
import mimetypes
import os
import uuid
from pathlib import Path

from flask import abort, current_app, send_file
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from core.i18n import _, _l
from core.models import StoredFile
from core.services import ServiceError

# The part of a name that marks bytes still being written (never a stored name: those are hex).
PARTIAL_SUFFIX = ".part"
# Errors of the disk rather than of the upload: full, read-only, quota, I/O, permissions.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM})
DISK_PROBLEM = _l("The server cannot store files right now. Please try again later.")


def upload_folder() -> Path:
    """The folder of uploaded files, created when missing."""
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
    try:
        write_durably(upload_folder(), stored_name, data)
    except OSError as exc:
        if exc.errno not in DISK_ERRNOS:
            raise
        current_app.logger.error("Upload not stored, the disk refused it: %s", exc)
        raise ServiceError(str(DISK_PROBLEM)) from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return StoredFile(
        customer_id=customer_id,
        original_name=name,
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        **owner,
    )


def write_durably(folder: Path, stored_name: str, data: bytes) -> None:
    """Write ``data`` as ``folder/stored_name`` completely or not at all.

    The bytes go to a temporary name first, are flushed to the disk (file, then folder after
    the rename), and get their final name only when all of them are there. On any error the
    temporary file is removed and the error raised; the final name never holds partial bytes.
    """
    partial = folder / (stored_name + PARTIAL_SUFFIX)
    final = folder / stored_name
    try:
        with open(partial, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(partial, final)
        # The rename itself is durable only once the folder is flushed too.
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except BaseException:
        for path in (partial, final):
            with contextlib.suppress(OSError):
                os.remove(path)
        raise


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
