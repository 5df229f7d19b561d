"""Optimistic locking over HTTP: ``ETag: "<version>"`` on resources with a version column, and
``If-Match`` required to change them (428 without it, 412 when it names an older version).

The version is the row's SQLAlchemy ``version_id_col``, so a change that races past the check
is still refused by the database's own ``UPDATE ... WHERE version = ...`` (the services raise
``StaleVersionError``, also answered with 412).
"""

from __future__ import annotations

from flask import abort, request
from marshmallow import Schema, fields


def etag_of(obj) -> str:
    """The quoted ETag of a versioned object."""
    return f'"{obj.version}"'


def version_headers(obj) -> dict[str, str]:
    return {"ETag": etag_of(obj)}


def expected_version(obj) -> int:
    """The version ``If-Match`` names for ``obj``: aborts with 428 when it is missing and with
    412 when it does not match the stored version (``*`` matches any)."""
    if "If-Match" not in request.headers:
        abort(428)
    condition = request.if_match
    if condition.star_tag:
        return obj.version
    if not condition.contains(str(obj.version)):
        abort(412)
    return obj.version


class IfMatchHeader(Schema):
    """Documents ``If-Match`` on the operations that change a versioned resource."""

    if_match = fields.String(
        data_key="If-Match",
        metadata={"description": 'The ETag you read, e.g. "3" (required; 428 without it, 412 when stale)'},
    )
