"""Cursor (keyset) pagination: ``?limit=`` and an opaque ``?cursor=``, stable under inserts.

Lists are ordered by id. The cursor is the base64url of the last id a page returned; the next
page asks for ids after it, so rows inserted meanwhile never shift a page (new rows have larger
ids and show up at the end) and no row is seen twice. One row more than ``limit`` is fetched to
know whether a next page exists: no COUNT query. The body is ``{"items": [...], "next_cursor":
"..." | null}``, and a next page is also announced in ``Link: <...>; rel="next"``.
"""

from __future__ import annotations

import base64
import binascii

from flask import request, url_for
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Select

from core.extensions import db
from core.i18n import _

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ID = 2**31 - 1


def encode_cursor(last_id: int) -> str:
    """The opaque cursor that continues after ``last_id``."""
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


class Cursor(fields.String):
    """A cursor made by ``encode_cursor``, loaded as the id to continue after."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
            last_id = int(raw)
        except (ValueError, binascii.Error, UnicodeError):
            raise ValidationError(_("Not a cursor this API gave out.")) from None
        if not 0 <= last_id <= MAX_ID or not raw.isdigit():
            raise ValidationError(_("Not a cursor this API gave out."))
        return last_id


class PageArgs(Schema):
    """``limit`` and ``cursor``, shared by every list's query schema (subclass it).

    Give ``blp.arguments`` an instance (``ContactListArgs()``), not the class: webargs builds a
    schema given as a class again on every request (a deep copy of its fields)."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"},
    )
    cursor = Cursor(metadata={"description": "next_cursor of the previous page"})


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """The response schema of a list of ``item_schema``: items and next_cursor."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(
                required=True, allow_none=True, metadata={"description": "Pass as ?cursor= for the next page"}
            ),
        },
        name=name,
    )


def keyset_page(stmt: Select, id_column, args: dict, *, columns: bool = False) -> tuple[dict, dict[str, str]]:
    """Run ``stmt`` for one page after ``args["cursor"]`` (ordered by ``id_column``), and give
    the body ``{"items", "next_cursor"}`` and the headers (``Link`` to the next page). The items
    are the objects of a select() of an entity, or with ``columns`` its rows (named tuples with
    an ``id``)."""
    limit = args["limit"]
    after = args.get("cursor")
    stmt = stmt.order_by(None).order_by(id_column)
    if after is not None:
        stmt = stmt.where(id_column > after)
    result = db.session.execute(stmt.limit(limit + 1))
    rows = list(result if columns else result.scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].id) if more else None
    headers = {}
    if next_cursor is not None:
        query = {key: value for key, value in request.args.items() if key != "cursor"}
        query.update(cursor=next_cursor, limit=limit)
        link = url_for(request.endpoint, **(request.view_args or {}), **query)
        headers["Link"] = f'<{link}>; rel="next"'
    return {"items": rows, "next_cursor": next_cursor}, headers
