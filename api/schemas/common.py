"""Field helpers shared by the API's schemas: text that every database can store, ids in range."""

from __future__ import annotations

from datetime import UTC

from marshmallow import ValidationError, fields, validate

from core.i18n import _

MAX_ID = 2**31 - 1


def _storable(value: str) -> None:
    # PostgreSQL stores neither NUL nor lone surrogates: refuse them as input, not as a 500.
    if "\x00" in value:
        raise ValidationError(_("Must not contain NUL characters."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("Must be valid Unicode text.")) from None


def text(max_length: int, *, required: bool = False, min_length: int = 0, **kwargs) -> fields.String:
    """A string field of at most ``max_length`` characters (the column's size)."""
    return fields.String(
        required=required,
        validate=[validate.Length(min=min_length, max=max_length), _storable],
        **kwargs,
    )


def record_id(**kwargs) -> fields.Integer:
    """An id of a row in a JSON body: a JSON number (strict), a positive 32-bit integer (the
    database's range). Ids in a query string are text: ``filters.query_id``."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class UtcDateTime(fields.DateTime):
    """A timestamp the database keeps as naive UTC, written with its offset (RFC 3339)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class SortedKeys(fields.List):
    """A list of catalog keys (strings) kept as a set on the model, written sorted: a stable
    order for clients (and ETag-like comparisons). Loads as a list, like ``fields.List``."""

    def __init__(self, inner: fields.String, **kwargs):
        if not isinstance(inner, fields.String):
            raise TypeError("SortedKeys holds strings")
        super().__init__(inner, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        # A str is its own String dump: only other values go through the inner field.
        return [
            each if type(each) is str else self.inner._serialize(each, attr, obj, **kwargs) for each in sorted(value)
        ]
