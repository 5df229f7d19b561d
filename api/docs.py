"""``/api/v1/docs``: Swagger UI for the OpenAPI document, from local files only.

Swagger UI is vendored under ``static/vendor/swagger-ui/`` and started by ``static/js/api-docs.js``
(no inline script), so the page keeps the portal's Content-Security-Policy.
"""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)


@bp.route("/docs")
def docs():
    """The interactive API documentation (public, like the OpenAPI document it shows)."""
    return render_template("api/docs.html")
