"""The API documentation page in a real browser: Swagger UI from local files, under the strict CSP."""

from __future__ import annotations

from urllib.parse import urlsplit


def test_swagger_ui_renders_the_operations_without_csp_violations(live_server, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=10_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/contacts" in p for p in paths) and any("/api/v1/customers" in p for p in paths)
    assert page.problems == []
    # Nothing from elsewhere: every request went to this server (or was an inline data: image).
    hosts = {urlsplit(url).netloc for url in requested if not url.startswith("data:")}
    assert hosts == {urlsplit(live_server).netloc}
