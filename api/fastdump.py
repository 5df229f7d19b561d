"""Lists dumped without marshmallow's per-field machinery, with the same output.

A page of 50 documents is 50 x 20 field dumps; marshmallow spends most of a list request's
time looking values up and dispatching per field. ``RowDumper`` reads the schema once and
then copies each value with the field's own conversion (``Decimal`` quantised to its places
as a string, dates as ISO 8601, lists of plain values by their list field), so the body is
exactly what ``schema.dump`` gives (checked by ``tests/api/test_api_fastdump.py``). Schemas
with hooks, nested or computed fields are refused at import: they go through marshmallow.
"""

from __future__ import annotations

import decimal
import operator

from flask import current_app
from marshmallow import Schema, fields

# Values of these fields are dumped as they are (str, int, bool or None).
_AS_IS = (fields.String, fields.Integer, fields.Boolean)
# These convert with the field's own ``_serialize`` (None stays None).
_CONVERTED = (fields.Decimal, fields.DateTime, fields.Date)


def _decimal_string(field: fields.Decimal):
    """A ``Decimal`` value quantised to the field's places, as the field's string; anything else
    (a float from some driver) through the field itself."""
    places, rounding, slow = field.places, field.rounding, field._serialize

    def convert(value, attribute, obj):
        if type(value) is decimal.Decimal and value.is_finite():
            return format(value.quantize(places, rounding=rounding), "f")
        return slow(value, attribute, obj)

    return convert


class RowDumper:
    """``dump(obj)`` equals ``schema_class().dump(obj)`` for the supported field types."""

    def __init__(self, schema_class: type[Schema]):
        schema = schema_class()
        if schema._hooks and any(schema._hooks.values()):
            raise TypeError(f"{schema_class.__name__} has hooks: dump it with marshmallow")
        self.plan: list[tuple[str, str, object]] = []
        for name, field in schema.dump_fields.items():
            key, attribute = field.data_key or name, field.attribute or name
            if isinstance(field, fields.Integer) and field.as_string:
                raise TypeError(f"{schema_class.__name__}.{name}: an integer as string")
            if type(field) in _AS_IS or (isinstance(field, _AS_IS) and not isinstance(field, _CONVERTED)):
                self.plan.append((key, attribute, None))
            elif isinstance(field, fields.Decimal) and field.as_string and field.places is not None:
                self.plan.append((key, attribute, _decimal_string(field)))
            elif isinstance(field, _CONVERTED):
                self.plan.append((key, attribute, field._serialize))
            elif isinstance(field, fields.List) and type(field.inner) in _AS_IS:
                # A list of plain values (e.g. ``SortedKeys``): the list field's own conversion.
                self.plan.append((key, attribute, field._serialize))
            else:
                raise TypeError(f"{schema_class.__name__}.{name}: {type(field).__name__} is not supported")

        # All values are read in one C call; only the converted ones are visited again.
        self._keys = tuple(key for key, _attribute, _convert in self.plan)
        self._read = operator.attrgetter(*(attribute for _key, attribute, _convert in self.plan))
        self._converted = tuple(
            (index, attribute, convert)
            for index, (_key, attribute, convert) in enumerate(self.plan)
            if convert is not None
        )
        if len(self.plan) < 2:
            raise TypeError(f"{schema_class.__name__}: fewer than two fields, dump it with marshmallow")

    def dump(self, obj) -> dict:
        """The dumped object: a dict of JSON values."""
        values = list(self._read(obj))
        for index, attribute, convert in self._converted:
            value = values[index]
            if value is not None:
                values[index] = convert(value, attribute, obj)
        return dict(zip(self._keys, values, strict=True))


def json_page(dumper: RowDumper, body: dict, headers: dict[str, str]):
    """The response of a ``keyset_page`` body: its items dumped by ``dumper``, as JSON. The
    view returns it as a Response, which flask-smorest passes on without dumping again."""
    payload = {"items": [dumper.dump(item) for item in body["items"]], "next_cursor": body["next_cursor"]}
    response = current_app.json.response(payload)
    response.headers.update(headers)
    return response
