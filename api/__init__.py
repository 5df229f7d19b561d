"""The REST API at ``/api/v1`` (flask-smorest + marshmallow, OpenAPI 3).

- ``/api/v1/openapi.json``: the OpenAPI document; ``/api/v1/docs``: Swagger UI (local files).
- Authentication: ``Authorization: Bearer <token>`` only (``api.auth``); tokens are made by
  administrators in the admin area (``admin/api_tokens.py``), with scopes per resource group
  (``core.api_scopes``). Throttled per token (``API_RATE_LIMIT``).
- Errors: ``application/problem+json`` for every error under the prefix (``core.problems``).
- Lists: cursor pagination (``api.pagination``); versioned resources: ETag / If-Match
  (``api.versioning``).
- Writes go through the same services as the admin area, acting as the token's creator.
"""

from __future__ import annotations

from flask import Flask

from .auth import ApiSessionInterface
from .base import RESOURCE_BLUEPRINTS, bp
from .docs import bp as docs_bp
from .errors import PortalApi
from .resources import contacts, customers, projects, sales, tickets

__all__ = ["RESOURCE_BLUEPRINTS", "contacts", "customers", "init_api", "projects", "sales", "tickets"]

for _module in (customers, contacts):
    bp.register_blueprint(_module.blp)
# Sales: one blueprint per document kind of core.document_kinds.
for _child in (*sales.BLUEPRINTS, projects.blp, tickets.blp):
    bp.register_blueprint(_child)


def init_api(app: Flask) -> PortalApi:
    """Mount the API on ``app`` under ``API_PREFIX`` (one flask-smorest ``Api`` per app)."""
    prefix = app.config["API_PREFIX"]
    app.config.setdefault("API_TITLE", "Customer portal API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", prefix)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "servers": [{"url": "/"}],
        },
    )
    app.session_interface = ApiSessionInterface()
    api = PortalApi(app)
    api.register_blueprint(bp, url_prefix=prefix)
    for child, _group in RESOURCE_BLUEPRINTS:
        api.spec.tag({"name": child.name, "description": child.description})
    app.register_blueprint(docs_bp, url_prefix=prefix)
    return api
