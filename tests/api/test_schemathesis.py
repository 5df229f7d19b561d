"""Schemathesis against the served OpenAPI document, on a seeded database with a read/write token:
for every operation, valid and invalid generated requests get no server error, and every
response conforms to the document (status, content type, body schema).

Bounded (``MAX_EXAMPLES`` per operation and mode, no deadline) so it runs in the normal suite on
SQLite and PostgreSQL. (Schemathesis' lazy pytest fixture loader does not run under pytest 9, so
each operation's strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from flask.globals import _cv_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from core.api_scopes import SCOPES
from core.services.api_tokens import create_token
from tests.conftest import make_app

MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _operations() -> list[tuple[str, str]]:
    # The document needs no database: read it once from a fresh app to name the tests.
    spec = make_app().test_client().get("/api/v1/openapi.json").get_json()
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method != "parameters"]


@pytest.fixture
def seeded(app, f):
    """A customer with an active and an inactive contact, another customer, and a token with
    every scope; returns its Authorization header."""
    customer = f.make_customer("Acme")
    f.make_contact(customer, email="anna@acme.example", notifications={"invoice"})
    f.make_contact(customer, email="bob@acme.example", active=False)
    f.make_contact(f.make_customer("Globex"), email="gina@globex.example")
    staff = f.make_staff(email="schemathesis@example.com")
    _token, secret = create_token("Schemathesis", SCOPES, None, actor=staff)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize(("method", "path"), _operations())
def test_operation_conforms_to_the_document(app, seeded, method, path):
    # Requests run outside the test's app context (each in its own, as in production).
    outside = _cv_app.set(None)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        operation = schema[path][method]
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
        )

        @given(case=cases)
        @settings(
            max_examples=MAX_EXAMPLES * 2,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def run(case):
            case.call_and_validate(headers=seeded, checks=CHECKS)

        run()
    finally:
        _cv_app.reset(outside)


def test_real_rows_with_empty_optional_fields_conform_to_the_document(app, seeded, f):
    """Generated ids rarely name a row: read one real row of each kind, with the optional
    fields still empty (never sent, undecided, unsigned, a reply written by a contact), and
    check each answer against the document."""
    acme = f.make_customer("Nulls Ltd")
    contact = f.make_contact(acme, email="nulls@acme.example")
    rows = {
        "/api/v1/invoices/{doc_id}": f.make_invoice(acme, status="draft").id,
        "/api/v1/credit-notes/{doc_id}": f.make_credit_note(acme).id,
        "/api/v1/estimates/{doc_id}": f.make_estimate(acme).id,
        "/api/v1/proposals/{doc_id}": f.make_proposal(acme).id,
        "/api/v1/contracts/{doc_id}": f.make_contract(acme).id,
        "/api/v1/tickets/{ticket_id}": f.make_ticket(acme, contact).id,
    }
    outside = _cv_app.set(None)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        for path, row_id in rows.items():
            operation = schema[path]["GET"]
            [name] = [p.name for p in operation.path_parameters]
            case = operation.Case(path_parameters={name: row_id})
            response = case.call(headers=seeded)
            assert response.status_code == 200, (path, response.status_code)
            case.validate_response(response, checks=CHECKS)
    finally:
        _cv_app.reset(outside)
