"""A unique constraint that two people race into answers with a message, never a 500.

The race is made real: right before the request's session flushes, another database connection
commits the conflicting row (what a concurrent request does between the service's "is this
address free?" check and its INSERT). The data stays right and the page says what happened.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from core.extensions import db
from core.models import Contact, StaffUser
from core.read_only import ReadOnlyAwareSession
from tests.conftest import login


@contextmanager
def rival_commits_first(make_row):
    """While active, the first flush of any request session is preceded by another connection
    committing ``make_row()`` (a row that conflicts with what the request is about to insert)."""
    fired = []

    def before_flush(session, flush_context, instances):
        if fired or not session.new:
            return
        fired.append(True)
        with Session(db.engine) as other:
            other.add(make_row())
            other.commit()

    event.listen(ReadOnlyAwareSession, "before_flush", before_flush)
    try:
        yield fired
    finally:
        event.remove(ReadOnlyAwareSession, "before_flush", before_flush)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def rival_contact(customer_id: int, email: str):
    return lambda: Contact(customer_id=customer_id, first_name="Rival", last_name="Row", email=email, session_token="r")


def test_staff_creating_a_contact_races_a_colleague_for_the_address(admin_client, f):
    customer = f.make_customer("Acme")
    form = {"first_name": "Nina", "last_name": "Neu", "email": "nina@example.com", "active": "y"}
    with rival_commits_first(rival_contact(customer.id, "nina@example.com")) as fired:
        response = admin_client.post(f"/admin/customers/{customer.id}/contacts/new", data=form)
    assert fired, "the race happened"
    assert response.status_code in (200, 409), response.status_code
    page = response.get_data(as_text=True)
    assert "already" in page or "at the same moment" in page
    assert count(Contact, Contact.email == "nina@example.com") == 1
    # The session is usable again: the next page loads.
    assert admin_client.get(f"/admin/customers/{customer.id}/contacts").status_code == 200


def test_two_admins_create_staff_with_one_address(admin_client, f):
    form = {"name": "Sam", "email": "sam@example.com", "password": "a good long password", "language": "en"}

    def rival():
        return StaffUser(email="sam@example.com", name="Rival", password_hash="x", session_token="r")

    with rival_commits_first(rival) as fired:
        response = admin_client.post("/admin/staff", data=form)
    assert fired
    assert response.status_code in (200, 409)
    assert "Internal" not in response.get_data(as_text=True)
    assert count(StaffUser, StaffUser.email == "sam@example.com") == 1


def test_concurrent_colleague_invitations_with_one_address(client, f):
    from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings

    customer = f.make_customer("Acme")
    anna = f.make_contact(customer, email="anna@acme.example")
    anna.is_primary = True
    db.session.commit()
    set_settings({PRIMARY_MANAGES_CONTACTS: "1"})
    login(client, anna)
    form = {"first_name": "Carl", "last_name": "New", "email": "carl@acme.example"}
    with rival_commits_first(rival_contact(customer.id, "carl@acme.example")) as fired:
        response = client.post("/company/contacts/new", data=form)
    assert fired
    assert response.status_code in (200, 409)
    assert count(Contact, Contact.email == "carl@acme.example") == 1
    assert client.get("/company/contacts").status_code == 200


def test_an_integrity_error_anywhere_is_a_409_page_and_the_next_request_works(app, f):
    """The shared handler: whatever view loses a unique race, the answer is a message."""
    f.make_staff(email="taken@example.com")

    def racing_view():
        db.session.add(StaffUser(email="taken@example.com", name="Dup", password_hash="x", session_token="r"))
        db.session.flush()
        return "unreachable"

    app.add_url_rule("/_race", "race", racing_view, methods=["POST"])
    client = app.test_client()
    response = client.post("/_race")
    assert response.status_code == 409
    assert "at the same moment" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 200
