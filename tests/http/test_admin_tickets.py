"""Tickets in the admin area: the list with search, filters and pages; a ticket's reply (with
files), status and department; staff downloads; departments; the two customer-area switches
on the settings page."""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Department, OutboxEmail, StoredFile, TicketReply
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, PRIMARY_MANAGES_CONTACTS, get_bool_setting
from tests.conftest import count, login


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def emails() -> list[tuple[str, str]]:
    return [tuple(row) for row in db.session.execute(select(OutboxEmail.event, OutboxEmail.to_address))]


def ticket(f, customer, contact=None, subject="Help needed", **values):
    t = f.make_ticket(customer, contact, subject=subject)
    for name, value in values.items():
        setattr(t, name, value)
    db.session.commit()
    return t


def subjects(page: str) -> set[str]:
    return set(re.findall(r'href="/admin/tickets/\d+">([^<]+)</a>', page))


# -- list ---------------------------------------------------------------------------------------


def test_list_searches_subject_and_company_and_filters(admin_client, f):
    acme, globex = f.make_customer("Acme Corp"), f.make_customer("Globex")
    ticket(f, acme, subject="Printer jam", department="Hardware", priority="high")
    ticket(f, acme, subject="Invoice question", department="Billing", status="closed")
    ticket(f, globex, subject="Login broken", priority="urgent", status="answered")

    assert subjects(admin_client.get("/admin/tickets").get_data(as_text=True)) == {
        "Printer jam",
        "Invoice question",
        "Login broken",
    }
    cases = {
        "?q=printer": {"Printer jam"},
        "?q=ACME": {"Printer jam", "Invoice question"},
        "?q=nothing-like-this": set(),
        "?q=%25": set(),  # taken literally, not as a wildcard
        "?q=jam%25": set(),
        "?status=closed": {"Invoice question"},
        "?status=answered": {"Login broken"},
        "?department=Hardware": {"Printer jam"},
        "?priority=urgent": {"Login broken"},
        "?q=acme&priority=high&department=Hardware&status=open": {"Printer jam"},
        "?status=bogus&priority=bogus": {"Printer jam", "Invoice question", "Login broken"},
    }
    for query, expected in cases.items():
        response = admin_client.get("/admin/tickets" + query)
        assert response.status_code == 200
        assert subjects(response.get_data(as_text=True)) == expected, query
    page = admin_client.get("/admin/tickets").get_data(as_text=True)
    assert '<option value="Billing">' in page and '<option value="Hardware">' in page  # the department filter
    assert "Acme Corp" in page and "Globex" in page


def test_list_paginates(app, admin_client, f):
    app.config["PAGE_SIZE"] = 2
    customer = f.make_customer()
    for n in range(5):
        ticket(f, customer, subject=f"Ticket {n}")
    first = admin_client.get("/admin/tickets").get_data(as_text=True)
    third = admin_client.get("/admin/tickets?page=3").get_data(as_text=True)
    assert len(subjects(first)) == 2 and "Page 1 of 3" in first
    assert len(subjects(third)) == 1
    assert admin_client.get("/admin/tickets?page=-4").status_code == 200


# -- a ticket -----------------------------------------------------------------------------------


def test_staff_reply_with_files_answers_and_emails_the_tickets_contact(admin_client, f, uploads):
    customer = f.make_customer("Acme")
    opener = f.make_contact(customer, notifications={"ticket"})
    f.make_contact(customer, notifications={"ticket"})  # a colleague: not emailed
    t = ticket(f, customer, opener)

    response = admin_client.post(
        f"/admin/tickets/{t.id}",
        data={"body": "Fixed it.", "attachments": [(io.BytesIO(b"patch"), "fix.txt")]},
    )

    assert response.status_code == 302
    t = fresh(t)
    assert t.status == "answered"
    staff_reply = t.replies[-1]
    assert (staff_reply.body, staff_reply.contact_id) == ("Fixed it.", None) and staff_reply.staff_id
    (stored,) = db.session.scalars(select(StoredFile)).all()
    assert (stored.ticket_reply_id, stored.customer_id, stored.uploaded_by_staff_id) == (
        staff_reply.id,
        customer.id,
        staff_reply.staff_id,
    )
    assert (uploads / stored.stored_name).read_bytes() == b"patch"
    assert emails() == [("ticket_staff_reply", opener.email)]

    with admin_client.get(f"/admin/tickets/{t.id}/files/{stored.id}") as download:
        assert download.status_code == 200 and download.data == b"patch"
        assert download.headers["Content-Disposition"].startswith("attachment")

    # Sent twice by a double click: one reply, one email.
    admin_client.post(f"/admin/tickets/{t.id}", data={"body": "Fixed it."})
    assert count(TicketReply) == 2 and len(emails()) == 1


def test_staff_reply_with_a_bad_file_stores_and_sends_nothing(app, admin_client, f, uploads):
    customer = f.make_customer()
    t = ticket(f, customer, f.make_contact(customer, notifications={"ticket"}))
    app.config["UPLOAD_MAX_BYTES"] = 4
    files = [(io.BytesIO(b"ok"), "ok.txt"), (io.BytesIO(b"too large"), "big.txt")]

    response = admin_client.post(f"/admin/tickets/{t.id}", data={"body": "See file", "attachments": files})

    assert response.status_code == 200
    assert "big.txt: The file is larger than" in response.get_data(as_text=True)
    assert fresh(t).status == "open"
    assert (count(TicketReply), count(StoredFile), count(OutboxEmail)) == (1, 0, 0)
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_staff_download_only_through_the_files_ticket(admin_client, f, uploads):
    customer = f.make_customer()
    a, b = ticket(f, customer), ticket(f, customer)
    stored = StoredFile(
        customer_id=customer.id,
        ticket_reply_id=b.replies[0].id,
        original_name="b.txt",
        stored_name="bfile",
        content_type="text/plain",
        size=1,
        visible_to_customer=False,
    )
    db.session.add(stored)
    db.session.commit()
    uploads.mkdir()
    (uploads / "bfile").write_bytes(b"b")
    assert admin_client.get(f"/admin/tickets/{a.id}/files/{stored.id}").status_code == 404
    with admin_client.get(f"/admin/tickets/{b.id}/files/{stored.id}") as download:
        assert download.status_code == 200  # staff see files kept from the customer
    assert "b.txt" in admin_client.get(f"/admin/tickets/{b.id}").get_data(as_text=True)
    assert admin_client.get("/admin/tickets/999999/files/1").status_code == 404


def test_status_change_is_saved_audited_and_validated(admin_client, f):
    t = ticket(f, f.make_customer())
    response = admin_client.post(f"/admin/tickets/{t.id}/status", data={"status": "on_hold"})
    assert response.status_code == 302
    assert fresh(t).status == "on_hold"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ticket.status_changed"))
    assert json.loads(entry.details) == {"after": "on_hold", "before": "open"}

    bad = admin_client.post(f"/admin/tickets/{t.id}/status", data={"status": "exploded"}, follow_redirects=True)
    assert "Not a valid choice" in bad.get_data(as_text=True)
    assert fresh(t).status == "on_hold"
    assert admin_client.get(f"/admin/tickets/{t.id}/status").status_code == 405
    assert count(OutboxEmail) == 0


def test_department_change_offers_only_active_departments(admin_client, f):
    db.session.add_all([Department(name="Billing"), Department(name="Closed desk", active=False)])
    db.session.commit()
    t = ticket(f, f.make_customer())  # filed under "General", which no longer is a department
    page = admin_client.get(f"/admin/tickets/{t.id}").get_data(as_text=True)
    assert ">Billing<" in page and ">General<" in page and "Closed desk" not in page

    admin_client.post(f"/admin/tickets/{t.id}/department", data={"department": "Billing"})
    assert fresh(t).department == "Billing"
    bad = admin_client.post(
        f"/admin/tickets/{t.id}/department", data={"department": "Closed desk"}, follow_redirects=True
    )
    assert "Not a valid choice" in bad.get_data(as_text=True)
    assert fresh(t).department == "Billing"


# -- departments --------------------------------------------------------------------------------


def test_departments_add_rename_deactivate_with_unique_names(admin_client, f):
    assert admin_client.post("/admin/departments", data={"name": "  Billing  "}).status_code == 302
    (billing,) = db.session.scalars(select(Department)).all()
    assert (billing.name, billing.active) == ("Billing", True)

    duplicate = admin_client.post("/admin/departments", data={"name": "billing"})
    assert duplicate.status_code == 200
    assert "A department named &#34;billing&#34; already exists." in duplicate.get_data(as_text=True)
    assert count(Department) == 1
    assert "This field is required" in admin_client.post("/admin/departments", data={"name": ""}).get_data(as_text=True)
    assert "longer than 80" in admin_client.post("/admin/departments", data={"name": "x" * 81}).get_data(as_text=True)

    admin_client.post("/admin/departments", data={"name": "Hardware"})
    t = ticket(f, f.make_customer(), department="Billing")
    renamed = admin_client.post(f"/admin/departments/{billing.id}/rename", data={"name": "Accounts"})
    assert renamed.status_code == 302
    assert fresh(billing).name == "Accounts" and fresh(t).department == "Accounts"
    clash = admin_client.post(
        f"/admin/departments/{billing.id}/rename", data={"name": "HARDWARE"}, follow_redirects=True
    )
    assert "A department named &#34;HARDWARE&#34; already exists." in clash.get_data(as_text=True)
    assert fresh(billing).name == "Accounts"

    admin_client.post(f"/admin/departments/{billing.id}/active", data={"active": "0"})
    assert fresh(billing).active is False
    assert admin_client.post(f"/admin/departments/{billing.id}/active", data={"active": "x"}).status_code == 302
    assert fresh(billing).active is False
    page = admin_client.get("/admin/departments").get_data(as_text=True)
    assert "Accounts" in page and "Activate" in page
    admin_client.post(f"/admin/departments/{billing.id}/active", data={"active": "1"})
    assert fresh(billing).active is True
    assert admin_client.post("/admin/departments/99999/rename", data={"name": "X"}).status_code == 404


def test_deactivated_department_is_not_offered_to_contacts(admin_client, client, f):
    admin_client.post("/admin/departments", data={"name": "Billing"})
    admin_client.post("/admin/departments", data={"name": "Sales"})
    sales = db.session.scalar(select(Department).where(Department.name == "Sales"))
    admin_client.post(f"/admin/departments/{sales.id}/active", data={"active": "0"})
    login(client, f.make_contact(permissions={"support"}))
    page = client.get("/tickets/new").get_data(as_text=True)
    assert ">Billing<" in page and ">Sales<" not in page


# -- settings and guard -------------------------------------------------------------------------

REMINDERS = {
    "overdue_first_after_days": 1,
    "overdue_repeat_every_days": 3,
    "due_soon_days_before": 3,
    "estimate_expiry_days_before": 3,
    "contract_expiry_days_before": 7,
}


def test_settings_page_stores_the_two_switches(admin_client):
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "Contacts see all tickets of their company" in page
    assert "Primary contacts may manage their colleagues" in page
    assert not get_bool_setting(CONTACTS_SEE_ALL_TICKETS) and not get_bool_setting(PRIMARY_MANAGES_CONTACTS)

    admin_client.post("/admin/settings", data={**REMINDERS, CONTACTS_SEE_ALL_TICKETS: "y"})
    db.session.expire_all()
    assert get_bool_setting(CONTACTS_SEE_ALL_TICKETS) and not get_bool_setting(PRIMARY_MANAGES_CONTACTS)
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert re.search(rf'<input[^>]*checked[^>]*id="{CONTACTS_SEE_ALL_TICKETS}"', page)

    admin_client.post("/admin/settings", data={**REMINDERS, PRIMARY_MANAGES_CONTACTS: "y"})
    db.session.expire_all()
    assert not get_bool_setting(CONTACTS_SEE_ALL_TICKETS) and get_bool_setting(PRIMARY_MANAGES_CONTACTS)


def test_ticket_pages_need_staff(app, client, f):
    contact = f.make_contact()
    t = ticket(f, contact.customer, contact)
    contact_client = app.test_client()
    login(contact_client, contact)
    for who in (client, contact_client):
        for method, url in [
            ("GET", "/admin/tickets"),
            ("GET", f"/admin/tickets/{t.id}"),
            ("POST", f"/admin/tickets/{t.id}/status"),
            ("GET", "/admin/departments"),
            ("POST", "/admin/departments"),
        ]:
            response = who.open(url, method=method, data={"status": "closed", "name": "X"})
            assert response.status_code == 302 and "/admin/login" in response.headers["Location"], url
    assert fresh(t).status == "open" and count(Department) == 0
