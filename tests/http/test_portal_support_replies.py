"""Support tickets in the customer area after opening: replies (with files) reopen and tell staff,
closing, and downloads only through the file's own ticket."""

from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail, StoredFile, TicketReply
from tests.conftest import count
from tests.http.helpers.portal_support import add_file, emails, files_on_disk, fresh, upload

# -- ticket page: reply, close, files ------------------------------------------------------------


def test_reply_reopens_a_closed_ticket_with_files_and_tells_staff(client, f, setup, uploads, staff):
    mine, me, *_ = setup
    ticket = f.make_ticket(mine, me)
    ticket.status = "closed"
    db.session.commit()
    assert "Replying opens it again" in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)

    response = client.post(
        f"/tickets/{ticket.id}/reply", data={"message": "Still broken", "attachments": [upload("trace.txt")]}
    )

    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.status == "open"
    assert [(r.contact_id, r.body) for r in ticket.replies] == [(me.id, "Please help"), (me.id, "Still broken")]
    (stored,) = db.session.scalars(select(StoredFile)).all()
    assert (stored.ticket_reply_id, stored.original_name) == (ticket.replies[1].id, "trace.txt")
    assert emails() == [("staff_ticket_reply", staff.email)]

    # The same reply sent twice (double click) is one reply.
    client.post(f"/tickets/{ticket.id}/reply", data={"message": "Still broken", "attachments": [upload("trace.txt")]})
    assert count(TicketReply) == 2 and count(StoredFile) == 1 and len(emails()) == 1


def test_reply_with_a_bad_file_or_no_message_changes_nothing(client, f, setup, uploads, staff):
    mine, me, *_ = setup
    ticket = f.make_ticket(mine, me)
    ticket.status = "answered"
    db.session.commit()

    bad = client.post(f"/tickets/{ticket.id}/reply", data={"message": "Here", "attachments": [upload("x.exe")]})
    assert bad.status_code == 200 and "Files of this type are not allowed" in bad.get_data(as_text=True)
    empty = client.post(f"/tickets/{ticket.id}/reply", data={"message": "  "})
    assert empty.status_code == 200 and "This field is required" in empty.get_data(as_text=True)

    assert fresh(ticket).status == "answered"
    assert (count(TicketReply), count(StoredFile), count(OutboxEmail)) == (1, 0, 0)
    assert files_on_disk(uploads) == []


def test_close_is_a_post_and_closing_twice_is_harmless(client, f, setup):
    mine, me, *_ = setup
    ticket = f.make_ticket(mine, me)
    assert client.get(f"/tickets/{ticket.id}/close").status_code == 405
    assert fresh(ticket).status == "open"
    assert client.post(f"/tickets/{ticket.id}/close").status_code == 302
    assert client.post(f"/tickets/{ticket.id}/close").status_code == 302
    assert fresh(ticket).status == "closed"
    assert count(OutboxEmail) == 0


def test_download_serves_the_tickets_file_as_attachment(client, f, setup, uploads):
    mine, me, *_ = setup
    ticket = f.make_ticket(mine, me)
    stored = add_file(ticket, folder=uploads)

    with client.get(f"/tickets/{ticket.id}/files/{stored.id}") as response:
        assert response.status_code == 200
        assert response.data == b"%PDF-"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "report.pdf" in response.headers["Content-Disposition"]


def test_download_only_through_the_files_own_ticket(client, f, setup, uploads):
    mine, me, colleague, theirs, stranger = setup
    ticket = f.make_ticket(mine, me)
    other_own = f.make_ticket(mine, me, subject="Second")
    foreign_ticket = f.make_ticket(theirs, stranger)
    file_of_other_own = add_file(other_own, folder=uploads, name="b.pdf")
    foreign_file = add_file(foreign_ticket, folder=uploads, name="c.pdf")
    internal = add_file(ticket, folder=uploads, visible=False, name="internal.pdf")
    missing_on_disk = add_file(ticket, name="gone.pdf")

    for url in (
        f"/tickets/{ticket.id}/files/{file_of_other_own.id}",  # right customer, wrong ticket
        f"/tickets/{ticket.id}/files/{foreign_file.id}",
        f"/tickets/{foreign_ticket.id}/files/{foreign_file.id}",
        f"/tickets/{ticket.id}/files/{internal.id}",  # staff kept it from the customer
        f"/tickets/{ticket.id}/files/{missing_on_disk.id}",
        f"/tickets/{ticket.id}/files/99999999999",
    ):
        assert client.get(url).status_code == 404, url
    assert "internal.pdf" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
