"""Who is calling the API: a bearer token, and never a cookie.

- ``Authorization: Bearer <token>`` is the only credential. The session cookie is not even
  opened for API requests (``ApiSessionInterface``): a logged-in browser gets 401 like anybody
  without a token, and no API response sets a cookie.
- The token acts as the staff member who created it (``acting_staff``): services get it as
  their ``actor`` and the audit log names it, with the token's id and name beside it.
- Each resource blueprint requires its group's scope (``require_scope``, one guard per
  blueprint in ``api.base``): read for GET, write for the other methods.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter.util import get_remote_address

from core.api_scopes import required_scope
from core.i18n import _
from core.models import ApiToken, StaffUser
from core.problems import api_detail, is_api_request, problem
from core.services.api_tokens import note_use, usable_token

_UNSET = object()


def presented_token() -> str | None:
    """The bearer token of the request's ``Authorization`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> ApiToken | None:
    """The request's usable token (looked up once per request), or None."""
    token = g.get("api_token", _UNSET)
    if token is _UNSET:
        presented = presented_token()
        token = usable_token(presented) if presented else None
        g.api_token = token
    return token


def acting_staff() -> StaffUser:
    """The staff member the request's token acts for (after ``authenticate``)."""
    return g.api_token.created_by


def rate_limit_key() -> str:
    """Flask-Limiter's bucket: per token, or per client address for requests without one."""
    token = current_token()
    return f"api-token:{token.id}" if token is not None else f"api-client:{get_remote_address()}"


def rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def authenticate():
    """``before_request`` of the whole API: 401 without a usable token, 415 for a body that is
    not JSON; notes the token's use."""
    token = current_token()
    if token is None:
        error = "invalid_token" if presented_token() else None
        challenge = 'Bearer realm="api"' + (f', error="{error}"' if error else "")
        return problem(401, api_detail(401), headers={"WWW-Authenticate": challenge})
    if request.content_length and not request.is_json:
        return problem(415, api_detail(415))
    note_use(token)
    # The audit log names the token beside its creator for every change this request makes.
    g.audit_context = {"api_token": {"id": token.id, "name": token.name}}
    return None


def require_scope(group: str):
    """``before_request`` of a resource blueprint: 403 unless the token holds the scope
    ``group`` needs for this method."""
    needed = required_scope(group, request.method)
    if needed not in current_token().scope_set:
        return problem(
            403,
            _("This token lacks the scope %(scope)s.", scope=needed),
            headers={"WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", scope="{needed}"'},
        )
    return None


class ApiSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie sessions, except under the API prefix: there every request starts with an
    empty session and none is ever saved, so no cookie can authenticate an API call (nor be set
    by one)."""

    def open_session(self, app, request):
        if is_api_request():
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if is_api_request():
            return None
        return super().save_session(app, session, response)
