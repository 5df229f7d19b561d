"""Every API error is application/problem+json (RFC 9457), never an HTML page."""

from __future__ import annotations

import pytest

from tests.api.conftest import assert_problem


def test_bad_json_is_a_400_problem(app, api):
    response = api.post("/api/v1/customers", data="{not json", headers={"Content-Type": "application/json"})
    body = assert_problem(response, 400)
    assert body.get("errors") or body.get("detail")


def test_unknown_fields_are_a_422_problem_naming_them(app, api):
    body = assert_problem(api.post("/api/v1/customers", json={"company": "Acme", "owner": "me"}), 422)
    assert "owner" in body["errors"]


def test_invalid_values_are_a_422_problem_per_field(app, api):
    response = api.post(
        "/api/v1/contacts",
        json={"customer_id": 0, "first_name": "", "email": "not-an-address", "permissions": ["root"]},
    )
    body = assert_problem(response, 422)
    assert {"customer_id", "first_name", "last_name", "email", "permissions.0"} <= set(body["errors"])


def test_text_no_database_can_store_is_refused_as_input(app, api):
    body = assert_problem(api.post("/api/v1/customers", json={"company": "Nul\x00Corp"}), 422)
    assert "company" in body["errors"]
    body = assert_problem(api.post("/api/v1/customers", json={"company": "Lone \ud800 surrogate"}), 422)
    assert "company" in body["errors"]


def test_invalid_query_arguments_are_a_422_problem(app, api):
    for query in ("limit=0", "limit=201", "limit=x", "cursor=!!", "active=perhaps", "customer_id=99999999999"):
        body = assert_problem(api.get(f"/api/v1/contacts?{query}"), 422)
        assert body["errors"], query


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/customers/999", "/api/v1/contacts/2147483648"])
def test_not_found_is_a_404_problem(app, api, path):
    assert_problem(api.get(path), 404)


def test_wrong_method_is_a_405_problem(app, api):
    response = api.open("DELETE", "/api/v1/customers")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_a_change_without_if_match_is_428_and_with_a_stale_one_412(app, api, f):
    customer = f.make_customer("Acme")
    url = f"/api/v1/customers/{customer.id}"
    read = api.get(url)
    assert read.headers["ETag"] == f'"{customer.version}"'
    assert_problem(api.patch(url, json={"city": "Berlin"}), 428)
    stale = f'"{customer.version + 5}"'
    assert_problem(api.patch(url, json={"city": "Berlin"}, headers={"If-Match": stale}), 412)
    ok = api.patch(url, json={"city": "Berlin"}, headers={"If-Match": read.headers["ETag"]})
    assert ok.status_code == 200 and ok.get_json()["city"] == "Berlin"
    assert ok.headers["ETag"] != read.headers["ETag"]
    # The ETag read before that change is now stale.
    assert_problem(api.patch(url, json={"city": "Paris"}, headers={"If-Match": read.headers["ETag"]}), 412)


def test_a_server_error_is_a_500_problem(app, api, monkeypatch):
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    # A bug inside the view (not a library under test): the answer must still be problem+json.
    monkeypatch.setattr("api.resources.customers.keyset_page", broken)
    body = assert_problem(api.get("/api/v1/customers"), 500)
    assert "boom" not in str(body)


def test_the_docs_page_and_openapi_document_are_served_locally(app):
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["openapi"].startswith("3.")
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "/static/js/api-docs.js" in html
    assert "http://" not in html and "https://" not in html and "<script>" not in html
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_answers_are_never_cached_and_errors_speak_the_clients_language(app, api):
    response = api.get("/api/v1/customers")
    assert response.headers["Cache-Control"] == "no-store" and "Authorization" in response.headers["Vary"]
    body = assert_problem(api.get("/api/v1/customers/999", headers={"Accept-Language": "de"}), 404)
    assert body["detail"] == "Unter dieser Adresse gibt es nichts, oder die Ressource existiert nicht."
    assert body["title"] == "Not Found"  # the status phrase, the same in every language (RFC 9457)
