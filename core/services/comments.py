"""Posting to a comment thread, the one piece behind task, discussion and proposal comments and
ticket replies: a comment model names its thread column (``THREAD``, see
``core.models.base.CommentMixin``).

``post_comment`` guarantees: a double submit (the thread's newest comment is the same text by
the same author, within the caller's window) returns that comment, or is refused with the
caller's message, and changes nothing; else the comment, its attachments and whatever the
caller's ``effects`` add (status, audit, queued emails) are committed together, or nothing is:
a failure rolls back and removes the bytes of files already written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.extensions import db
from core.files import discard, store_upload
from core.i18n import _, ngettext
from core.loading import with_authors
from core.models import Contact, StaffUser, StoredFile, utcnow

from . import ServiceError

Author = Contact | StaffUser
MAX_ATTACHMENTS = 3


def author_columns(author: Author) -> dict:
    """``contact_id`` / ``staff_id`` values naming ``author`` on a comment or file."""
    if isinstance(author, StaffUser):
        return {"contact_id": None, "staff_id": author.id}
    return {"contact_id": author.id, "staff_id": None}


def double_submit(model, thread_id: int, body: str, author: Author, window: timedelta):
    """The thread's newest comment if it is ``body`` by ``author`` from within ``window``, else None."""
    column = getattr(model, model.THREAD)
    last = db.session.scalar(
        select(model).where(column == thread_id).order_by(model.created_at.desc(), model.id.desc()).limit(1)
    )
    if last is None or last.body != body or author_columns(author) != _author_columns_of(last):
        return None
    return last if utcnow() - last.created_at < window else None


def _author_columns_of(comment) -> dict:
    return {"contact_id": comment.contact_id, "staff_id": comment.staff_id}


def chosen_files(uploads: Iterable[FileStorage] | None) -> list[FileStorage]:
    """The files actually chosen (at most ``MAX_ATTACHMENTS``); ServiceError for more."""
    # A file input left empty still sends a part without a file name: that is "no file".
    files = [upload for upload in uploads or () if upload is not None and upload.filename]
    if len(files) > MAX_ATTACHMENTS:
        raise ServiceError(
            ngettext(
                "Attach at most %(max)d file.", "Attach at most %(max)d files.", MAX_ATTACHMENTS, max=MAX_ATTACHMENTS
            )
        )
    return files


def store_attachments(written: list[StoredFile], files: list[FileStorage], comment, customer_id: int, author) -> None:
    """Write each file to disk as an attachment of ``comment`` (a ticket reply); ``written``
    collects them so that a failure can remove them again."""
    uploader = {f"uploaded_by_{key}": value for key, value in author_columns(author).items() if value is not None}
    for upload in files:
        try:
            stored = store_upload(upload, customer_id=customer_id, ticket_reply_id=comment.id, **uploader)
        except ServiceError as exc:
            raise ServiceError(
                _(
                    "%(filename)s: %(problem)s Nothing was saved; please try again.",
                    filename=upload.filename,
                    problem=exc,
                )
            ) from exc
        written.append(stored)
        db.session.add(stored)


def undo(written: list[StoredFile]) -> None:
    """Roll the transaction back and remove the bytes of the files it had written."""
    db.session.rollback()
    discard(written)


def lock_thread(model, thread_id: int) -> None:
    """Lock the row the thread belongs to (PostgreSQL) until the transaction ends, so that two
    identical posts arriving together are checked one after the other."""
    (key,) = getattr(model, model.THREAD).property.columns[0].foreign_keys
    db.session.execute(select(key.column).where(key.column == thread_id).with_for_update())


def thread(model, thread_id: int) -> list:
    """The thread's comments, oldest first, each with its author (a contact by name only, or a
    staff member) loaded in the same query."""
    column = getattr(model, model.THREAD)
    stmt = select(model).where(column == thread_id).options(*with_authors(model))
    return list(db.session.scalars(stmt.order_by(model.created_at, model.id)))


def post_comment(
    model,
    thread_id: int,
    body: str,
    author: Author,
    *,
    window: timedelta,
    files: list[FileStorage] = (),
    customer_id: int | None = None,
    effects: Callable[[object], None] | None = None,
    lock: bool = False,
    repeat_refusal: str | None = None,
):
    """Add ``body`` (already validated) by ``author`` to the thread and commit; see the module.

    ``files`` (from ``chosen_files``) are stored as the comment's attachments under
    ``customer_id``; ``effects(comment)`` runs after the comment has its id and before the
    commit: status changes, audit entries and notifications belong there. ``lock`` first locks
    the thread's row (``lock_thread``); with ``repeat_refusal`` a double submit is refused with
    that message (ServiceError, transaction rolled back) instead of returning the earlier comment.
    """
    if lock:
        lock_thread(model, thread_id)
    duplicate = double_submit(model, thread_id, body, author, window)
    if duplicate is not None:
        if repeat_refusal is None:
            return duplicate
        db.session.rollback()
        raise ServiceError(repeat_refusal)
    comment = model(body=body, **{model.THREAD: thread_id}, **author_columns(author))
    db.session.add(comment)
    written: list[StoredFile] = []
    try:
        db.session.flush()
        store_attachments(written, list(files), comment, customer_id, author)
        if effects is not None:
            effects(comment)
        db.session.commit()
    except Exception:
        undo(written)
        raise
    return comment
