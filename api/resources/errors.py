"""Service refusals as API errors: a stale version is 412, any other rule 422 with its message."""

from __future__ import annotations

from flask_smorest import abort

from core.services import ServiceError, StaleVersionError
from core.services.contacts import EmailTakenError


def refuse(error: ServiceError):
    """Abort with the problem for a ``ServiceError``: 412 for a stale version, else 422 with the
    message as a field error (``email`` for a taken address, ``_schema`` for the others)."""
    if isinstance(error, StaleVersionError):
        abort(412, message=str(error))
    field = "email" if isinstance(error, EmailTakenError) else "_schema"
    abort(422, message=str(error), errors={field: [str(error)]})
