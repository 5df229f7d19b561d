"""CSRF protection is on (marker ``csrf``): state changes without a valid token are refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Contact
from tests.factories import PASSWORD

pytestmark = pytest.mark.csrf


def token_from(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def staff_client(app, f):
    f.make_staff(email="csrf@example.com")
    client = app.test_client()
    token = token_from(client, "/admin/login")
    response = client.post(
        "/admin/login", data={"email": "csrf@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def test_login_without_token_is_refused(client, f):
    contact = f.make_contact()
    response = client.post("/login", data={"email": contact.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_admin_post_without_or_with_foreign_token_is_refused(app, f):
    client = staff_client(app, f)
    customer = f.make_customer()
    url = f"/admin/customers/{customer.id}/contacts/new"
    data = {"first_name": "A", "last_name": "B", "email": "ab@example.com", "active": "y"}
    assert client.post(url, data=data).status_code == 400

    other = app.test_client()
    foreign = token_from(other, "/admin/login")
    response = client.post(url, data={**data, "csrf_token": foreign})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contact.id))) == 0

    response = client.post(url, data={**data, "csrf_token": token_from(client, url)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Contact.id))) == 1


def test_contact_action_and_logout_need_the_token(app, f):
    client = staff_client(app, f)
    contact = f.make_contact()
    assert client.post(f"/admin/contacts/{contact.id}/deactivate").status_code == 400
    db.session.expire_all()
    assert contact.active is True
    assert client.post("/admin/logout").status_code == 400
    assert client.get("/admin/customers").status_code == 200  # still logged in


def test_expired_token_is_refused(app, f):
    client = staff_client(app, f)
    customer = f.make_customer()
    url = f"/admin/customers/{customer.id}/contacts/new"
    token = token_from(client, url)
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is now past its lifetime
    response = client.post(
        url, data={"first_name": "A", "last_name": "B", "email": "x@example.com", "csrf_token": token}
    )
    assert response.status_code == 400
