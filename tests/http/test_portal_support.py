"""Support tickets in the customer area: list, open (with files), reply, close, downloads.

Every action works for a contact with the Support permission, is a 403 without it and a 404
for another customer's ticket (and for a colleague's ticket while contacts only see their own);
uploads that break a rule store nothing at all; double submits have one effect; exactly the
expected emails are queued. Replies, closing and downloads: test_portal_support_replies.py.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Department, OutboxEmail, StoredFile, Ticket, TicketReply
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, set_settings
from tests.conftest import count, login
from tests.http.helpers.portal_support import KEY, add_file, emails, files_on_disk, fresh, ticket_form, upload

# -- list --------------------------------------------------------------------------------------


def test_list_shows_own_tickets_with_status_filter(client, f, setup):
    mine, me, colleague, theirs, stranger = setup
    open_one = f.make_ticket(mine, me, subject="Open one")
    closed_one = f.make_ticket(mine, me, subject="Closed one")
    closed_one.status = "closed"
    f.make_ticket(mine, colleague, subject="Carl's question")
    f.make_ticket(theirs, stranger, subject="Globex secret")
    db.session.commit()

    body = client.get("/tickets").get_data(as_text=True)
    assert "Open one" in body and "Closed one" in body
    assert "Carl&#39;s question" not in body and "Globex secret" not in body
    assert "Open a ticket" in body
    only_open = client.get("/tickets?status=open").get_data(as_text=True)
    assert "Open one" in only_open and "Closed one" not in only_open
    only_closed = client.get("/tickets?status=closed").get_data(as_text=True)
    assert "Closed one" in only_closed and "Open one" not in only_closed
    assert client.get("/tickets?status=junk&page=abc").status_code == 200
    assert open_one.id


def test_setting_lets_contacts_see_all_tickets_of_their_company(client, f, setup):
    mine, me, colleague, theirs, stranger = setup
    carls = f.make_ticket(mine, colleague, subject="Carl's question")
    f.make_ticket(theirs, stranger, subject="Globex secret")
    set_settings({CONTACTS_SEE_ALL_TICKETS: "1"})

    body = client.get("/tickets").get_data(as_text=True)
    assert "Carl&#39;s question" in body and "Globex secret" not in body
    assert client.get(f"/tickets/{carls.id}").status_code == 200
    response = client.post(f"/tickets/{carls.id}/reply", data={"message": "Me too"})
    assert response.status_code == 302
    assert [r.body for r in fresh(carls).replies] == ["Please help", "Me too"]


# -- open a ticket ------------------------------------------------------------------------------


def test_form_offers_active_departments_priorities_and_own_projects_only(client, f, setup):
    mine, me, colleague, theirs, stranger = setup
    page = client.get("/tickets/new").get_data(as_text=True)
    assert '<option value="General">General</option>' in page  # no departments defined yet
    assert re.search(r'id="submission_key"[^>]*value="[0-9a-f]{32}"', page)
    db.session.add_all([Department(name="Billing"), Department(name="Old desk", active=False)])
    db.session.commit()
    own = f.make_project(mine, name="Our website")
    foreign = f.make_project(theirs, name="Globex plant")

    page = client.get("/tickets/new").get_data(as_text=True)
    assert ">Billing<" in page and "Old desk" not in page and ">General<" not in page
    assert all(f'value="{p}"' in page for p in ("low", "medium", "high", "urgent"))
    assert "Our website" in page and "Globex plant" not in page
    assert count(Ticket) == 0  # showing the form changes nothing

    refused = client.post("/tickets/new", data=ticket_form(department="Billing", project=str(foreign.id)))
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    refused = client.post("/tickets/new", data=ticket_form(department="Old desk"))
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert count(Ticket) == 0

    client.post("/tickets/new", data=ticket_form(department="Billing", project=str(own.id)))
    ticket = db.session.scalar(select(Ticket))
    assert (ticket.department, ticket.project_id) == ("Billing", own.id)


def test_without_projects_permission_no_project_can_be_named(client, f):
    customer = f.make_customer()
    me = f.make_contact(customer, permissions={"support"})
    project = f.make_project(customer, name="Hidden project")
    login(client, me)
    assert "Hidden project" not in client.get("/tickets/new").get_data(as_text=True)
    assert client.post("/tickets/new", data=ticket_form(project=str(project.id))).status_code == 302
    assert db.session.scalar(select(Ticket.project_id)) is None


def test_opening_a_ticket_stores_it_with_files_and_emails_opener_and_staff(client, f, setup, uploads, staff):
    mine, me, colleague, theirs, stranger = setup
    data = ticket_form(attachments=[upload("log.txt", b"line 1"), upload("shot.png", b"\x89PNG")])

    response = client.post("/tickets/new", data=data)

    ticket = db.session.scalar(select(Ticket))
    assert response.status_code == 302 and response.headers["Location"] == f"/tickets/{ticket.id}"
    assert (ticket.customer_id, ticket.contact_id, ticket.subject) == (mine.id, me.id, "Printer on fire")
    assert (ticket.department, ticket.priority, ticket.status, ticket.submission_key) == (
        "General",
        "high",
        "open",
        KEY,
    )
    (reply,) = ticket.replies
    assert (reply.contact_id, reply.body) == (me.id, "It is burning.")
    stored = db.session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(s.original_name, s.customer_id, s.ticket_reply_id, s.uploaded_by_contact_id) for s in stored] == [
        ("log.txt", mine.id, reply.id, me.id),
        ("shot.png", mine.id, reply.id, me.id),
    ]
    assert [p.name for p in files_on_disk(uploads)] == sorted(s.stored_name for s in stored)
    assert sorted(p.read_bytes() for p in files_on_disk(uploads)) == sorted([b"line 1", b"\x89PNG"])
    # The opener gets the auto-reply (not the colleague), every administrator the staff email.
    assert sorted(emails()) == [("staff_ticket_opened", staff.email), ("ticket_autoreply", me.email)]
    staff_mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.event == "staff_ticket_opened"))
    assert "Acme" in staff_mail.subject and "It is burning." in staff_mail.text_body
    assert f"/admin/tickets/{ticket.id}" in staff_mail.link

    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "log.txt" in page and f"/tickets/{ticket.id}/files/{stored[0].id}" in page


def test_auto_reply_follows_the_openers_ticket_toggle(client, f, staff):
    me = f.make_contact(permissions={"support"}, notifications=set())
    login(client, me)
    client.post("/tickets/new", data=ticket_form())
    assert emails() == [("staff_ticket_opened", staff.email)]


def test_double_submit_opens_one_ticket(client, f, setup, uploads, staff):
    mine, me, *_ = setup
    first = client.post("/tickets/new", data=ticket_form(attachments=[upload("a.txt")]))
    second = client.post("/tickets/new", data=ticket_form(attachments=[upload("a.txt")]))

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert (count(Ticket), count(TicketReply), count(StoredFile)) == (1, 1, 1)
    assert len(files_on_disk(uploads)) == 1
    assert len(emails()) == 2


def test_going_back_and_sending_the_same_ticket_again_opens_one_ticket(client, setup, staff):
    """Back in the browser renders a fresh key, but the same text moments later is the same ticket."""
    first = client.post("/tickets/new", data=ticket_form())
    again = client.post("/tickets/new", data=ticket_form(submission_key="f" * 32))
    assert first.headers["Location"] == again.headers["Location"]
    assert count(Ticket) == 1 and len(emails()) == 2

    different = client.post("/tickets/new", data=ticket_form(submission_key="e" * 32, message="Another problem"))
    assert different.headers["Location"] != first.headers["Location"]
    assert count(Ticket) == 2


def test_a_submission_key_of_another_contact_opens_nothing_and_reveals_nothing(client, app, f, setup):
    mine, me, colleague, *_ = setup
    other = app.test_client()
    login(other, colleague)
    other.post("/tickets/new", data=ticket_form(subject="Carl's private matter"))

    response = client.post("/tickets/new", data=ticket_form())

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "already used" in body and "private matter" not in body
    assert count(Ticket) == 1


@pytest.mark.parametrize("key", ["", "not-a-key", "A" * 32])
def test_missing_or_malformed_submission_key_is_refused(client, setup, key):
    response = client.post("/tickets/new", data=ticket_form(submission_key=key))
    assert response.status_code == 200
    assert "expired" in response.get_data(as_text=True)
    assert count(Ticket) == 0


@pytest.mark.parametrize(
    ("files", "config", "message"),
    [
        ([upload("ok.txt"), upload("virus.exe")], {}, "Files of this type are not allowed"),
        ([upload("ok.txt"), upload("big.pdf", b"x" * 11)], {"UPLOAD_MAX_BYTES": 10}, "larger than"),
        ([upload("ok.txt"), upload("empty.pdf", b"")], {}, "The file is empty"),
        ([upload(f"f{i}.txt") for i in range(4)], {}, "Attach at most 3 files"),
    ],
    ids=["type", "size", "empty", "count"],
)
def test_a_bad_file_stores_nothing_at_all(client, app, setup, uploads, staff, files, config, message):
    app.config.update(config)
    response = client.post("/tickets/new", data=ticket_form(attachments=files))

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert (count(Ticket), count(TicketReply), count(StoredFile), count(OutboxEmail)) == (0, 0, 0, 0)
    assert files_on_disk(uploads) == []  # the good file written before the bad one was removed again


@pytest.mark.parametrize(
    "junk",
    [{"project": "abc"}, {"priority": "whenever"}, {"department": ""}, {"attachments": "not a file", "subject": ""}],
    ids=["project", "priority", "department", "fake-file"],
)
def test_junk_values_are_form_errors(client, setup, junk):
    response = client.post("/tickets/new", data=ticket_form(**junk))
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert count(Ticket) == 0


def test_too_long_subject_is_a_message_not_an_error(client, setup):
    response = client.post("/tickets/new", data=ticket_form(subject="x" * 201, message=""))
    assert response.status_code == 200
    assert "Field cannot be longer than 200 characters" in response.get_data(as_text=True)
    assert count(Ticket) == 0


# -- access -------------------------------------------------------------------------------------


def ticket_urls(ticket, stored) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/tickets/{ticket.id}", {}),
        ("POST", f"/tickets/{ticket.id}/reply", {"message": "Let me in"}),
        ("POST", f"/tickets/{ticket.id}/close", {}),
        ("GET", f"/tickets/{ticket.id}/files/{stored.id}", {}),
    ]


def assert_untouched(ticket) -> None:
    ticket = fresh(ticket)
    assert ticket.status == "open"
    assert [r.body for r in ticket.replies] == ["Please help"]
    assert count(OutboxEmail) == 0


def test_without_support_permission_every_route_is_403(client, f, uploads):
    customer = f.make_customer()
    me = f.make_contact(customer, permissions={"invoices", "projects"})
    ticket = f.make_ticket(customer, me, subject="Hidden subject")
    stored = add_file(ticket, folder=uploads)
    login(client, me)

    for method, url, data in [
        ("GET", "/tickets", {}),
        ("GET", "/tickets/new", {}),
        ("POST", "/tickets/new", ticket_form()),
        *ticket_urls(ticket, stored),
    ]:
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, url
        assert "Access denied" in response.get_data(as_text=True)
        assert "Hidden subject" not in response.get_data(as_text=True)
    assert count(Ticket) == 1
    assert_untouched(ticket)


def test_another_customers_ticket_is_404_everywhere(client, f, setup, uploads):
    mine, me, colleague, theirs, stranger = setup
    ticket = f.make_ticket(theirs, stranger, subject="Globex secret")
    stored = add_file(ticket, folder=uploads)
    set_settings({CONTACTS_SEE_ALL_TICKETS: "1"})  # even when seeing the whole company's tickets

    for method, url, data in ticket_urls(ticket, stored):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, url
        assert "Globex secret" not in response.get_data(as_text=True)
    assert_untouched(ticket)


def test_a_colleagues_ticket_is_404_while_contacts_see_only_their_own(client, f, setup, uploads):
    mine, me, colleague, *_ = setup
    ticket = f.make_ticket(mine, colleague, subject="Carl's private matter")
    stored = add_file(ticket, folder=uploads)

    for method, url, data in ticket_urls(ticket, stored):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, url
        assert "private matter" not in response.get_data(as_text=True)
    assert_untouched(ticket)


def test_a_racing_double_submit_returns_the_first_ticket(client, f, setup, uploads, staff, monkeypatch):
    """Two submits that both pass the key lookup: the unique key lets only the first one in."""
    import core.services.tickets as service

    client.post("/tickets/new", data=ticket_form())
    first = db.session.scalar(select(Ticket))
    real_lookup, lookups = service._ticket_for_key, []

    def lookup_that_misses_once(key, contact):
        lookups.append(key)
        return None if len(lookups) == 1 else real_lookup(key, contact)

    monkeypatch.setattr(service, "_ticket_for_key", lookup_that_misses_once)
    monkeypatch.setattr(service, "_recent_duplicate_ticket", lambda *args: None)
    response = client.post("/tickets/new", data=ticket_form(attachments=[upload("late.txt")]))

    assert response.status_code == 302 and response.headers["Location"] == f"/tickets/{first.id}"
    assert (count(Ticket), count(TicketReply), count(StoredFile)) == (1, 1, 0)
    assert files_on_disk(uploads) == []
    assert len(emails()) == 2
