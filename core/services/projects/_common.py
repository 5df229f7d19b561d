"""Helpers shared by the project services (not part of the public interface)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.i18n import _, _l, ngettext
from core.models import utcnow

from .. import ServiceError
from ..documents.common import readable_number

# A second identical submission by the same author within this window is the same action
# (a double click, a reloaded POST): it returns the first result instead of repeating it.
DUPLICATE_WINDOW = timedelta(seconds=30)

MAX_NAME = 200
MAX_TEXT = 10_000


def recent_duplicate(model, *conditions):
    """The newest ``model`` row matching ``conditions`` created within ``DUPLICATE_WINDOW``, or None."""
    since = utcnow() - DUPLICATE_WINDOW
    stmt = select(model).where(*conditions, model.created_at >= since).order_by(model.id.desc()).limit(1)
    return db.session.scalar(stmt)


# The messages of ``clean_name`` per thing named: whole sentences, as German genders differ.
_NO_NAME = {
    "project": _l("Give the project a name."),
    "milestone": _l("Give the milestone a name."),
    "discussion": _l("Give the discussion a name."),
    "task": _l("Give the task a name."),
}
_NAME_TOO_LONG = {
    "project": lambda n: ngettext(
        "The project name is longer than %(max)d character.",
        "The project name is longer than %(max)d characters.",
        n,
        max=n,
    ),
    "milestone": lambda n: ngettext(
        "The milestone name is longer than %(max)d character.",
        "The milestone name is longer than %(max)d characters.",
        n,
        max=n,
    ),
    "discussion": lambda n: ngettext(
        "The discussion name is longer than %(max)d character.",
        "The discussion name is longer than %(max)d characters.",
        n,
        max=n,
    ),
    "task": lambda n: ngettext(
        "The task name is longer than %(max)d character.", "The task name is longer than %(max)d characters.", n, max=n
    ),
}


def clean_name(value: str | None, what: str) -> str:
    """A stripped, non-empty name of at most ``MAX_NAME`` characters; ServiceError otherwise.

    ``what`` is the thing named: project, milestone, discussion or task.
    """
    value = (value or "").strip()
    if not value:
        raise ServiceError(str(_NO_NAME[what]))
    if len(value) > MAX_NAME:
        raise ServiceError(_NAME_TOO_LONG[what](MAX_NAME))
    return value


def clean_text(value: str | None, *, required: bool, empty_message: str | None = None) -> str:
    """Stripped free text of at most ``MAX_TEXT`` characters; ServiceError when empty and required."""
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(empty_message or _("Write something first."))
    if len(value) > MAX_TEXT:
        raise ServiceError(
            ngettext(
                "The text is longer than %(max)s character.",
                "The text is longer than %(max)s characters.",
                MAX_TEXT,
                max=readable_number(MAX_TEXT),
            )
        )
    return value
