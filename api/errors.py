"""flask-smorest, answering every error under ``/api/v1`` as problem+json (``core.problems``)."""

from __future__ import annotations

import http

from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from core.problems import PROBLEM_MIMETYPE, api_detail, is_api_request, problem_from_exception


class ProblemSchema(Schema):
    """RFC 9457 problem details (documentation only: ``core.problems.problem`` writes them)."""

    type = fields.String(metadata={"description": "about:blank: the status says what happened"})
    title = fields.String(metadata={"description": "The HTTP status phrase"})
    status = fields.Integer()
    detail = fields.String(metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Per input field, what is wrong with it (invalid input)"},
    )


class PortalApi(Api):
    """flask-smorest's Api whose errors are problem+json and documented as such."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException):
        """flask-smorest registers this for every ``HTTPException`` of the app: under the API
        prefix it answers problem+json; elsewhere the error stays what it was (the app's pages
        handle their codes before this handler is asked)."""
        if not is_api_request():
            return error
        return problem_from_exception(error.code, error, api_detail(error.code) or error.description)

    def _register_responses(self):
        # flask-smorest's lazy responses per status, but errors documented as problem+json.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_MIMETYPE if status >= 400 else "application/json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)
