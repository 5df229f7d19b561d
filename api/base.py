"""The API's blueprints: one parent (``/api/v1``, bearer tokens, throttled per token) and one
child per resource module, each bound to a resource group of ``core.api_scopes``.

A child made by ``resource_blueprint`` requires its group's scope for every route (deny by
default: a route cannot forget the check), the way ``portal.guards.feature_blueprint`` binds a
portal feature to its permission.
"""

from __future__ import annotations

from functools import partial

from flask_smorest import Blueprint

from core.api_scopes import RESOURCE_GROUPS_BY_KEY
from core.extensions import csrf, limiter

from .auth import authenticate, rate_limit, rate_limit_key, require_scope

# The OpenAPI document is developer documentation, in English (not a page of the portal).
OPENAPI_TAG = "Portal REST API"
bp = Blueprint("api", __name__, description=OPENAPI_TAG)
bp.before_request(authenticate)


@bp.after_request
def _not_cached(response):
    # Answers hold customers' data and depend on the token: never kept by a cache or proxy.
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response


# Bearer requests carry no cookie to forge: CSRF protection has nothing to protect here.
csrf.exempt(bp)
limiter.shared_limit(rate_limit, scope="api", key_func=rate_limit_key)(bp)

RESOURCE_BLUEPRINTS: list[tuple[Blueprint, str]] = []


class ResourceBlueprint(Blueprint):
    """A resource module's blueprint: its operations are tagged with its own name in the
    OpenAPI document (not with the parent's), so the docs group them per resource."""

    def route(self, rule, *, parameters=None, tags=None, **options):
        return super().route(rule, parameters=parameters, tags=tags or [self.name], **options)


def resource_blueprint(name: str, group: str, description: str) -> Blueprint:
    """A blueprint for the resources of ``group`` (a key of ``RESOURCE_GROUPS``), mounted under
    ``/api/v1/<name>``; every route requires the group's read (GET) or write scope."""
    if group not in RESOURCE_GROUPS_BY_KEY:
        raise ValueError(f"unknown resource group {group!r}")
    child = ResourceBlueprint(name, __name__, url_prefix=f"/{name}", description=description)
    child.before_request(partial(require_scope, group))
    csrf.exempt(child)
    RESOURCE_BLUEPRINTS.append((child, group))
    return child
