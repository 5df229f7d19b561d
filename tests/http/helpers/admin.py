"""Shared by the admin-area tests."""

from __future__ import annotations

from tests.conftest import login


def assert_staff_only(app, f, url: str) -> None:
    """A visitor and a logged-in contact asking for ``url`` are both sent to the admin login."""
    contact_client = app.test_client()
    login(contact_client, f.make_contact())
    for client in (app.test_client(), contact_client):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
