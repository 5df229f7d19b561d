"""/api/v1 projects with their tasks, and tickets with their replies, through the admin area's
services (the same emails and audit entries as the admin pages)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, OutboxEmail, Ticket, TicketReply
from tests.api.conftest import assert_problem


def outbox(*conditions) -> list[tuple]:
    rows = db.session.scalars(select(OutboxEmail).where(*conditions).order_by(OutboxEmail.to_address))
    return [(row.event, row.contact_id, row.to_address, row.subject) for row in rows]


def audit_actions(*conditions) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(*conditions).order_by(AuditEntry.id)))


# -- projects and tasks ------------------------------------------------------------------------


def test_a_project_is_created_listed_read_and_updated(app, api, f):
    acme, other = f.make_customer("Acme"), f.make_customer("Other")
    watcher = f.make_contact(acme, notifications={"project"})
    response = api.post(
        "/api/v1/projects",
        json={"customer_id": acme.id, "name": "Website", "deadline": (date.today() + timedelta(days=30)).isoformat()},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    project = response.get_json()
    assert project["status"] == "in_progress" and project["progress"] == 0
    assert [row[0] for row in outbox(OutboxEmail.contact_id == watcher.id)] == ["project_created"]
    f.make_project(other, name="Theirs")
    listed = api.get(f"/api/v1/projects?customer_id={acme.id}").get_json()
    assert [p["id"] for p in listed["items"]] == [project["id"]]
    assert [p["name"] for p in api.get("/api/v1/projects?status=in_progress").get_json()["items"]] == [
        "Website",
        "Theirs",
    ]
    url = f"/api/v1/projects/{project['id']}"
    changed = api.patch(url, json={"name": "Web shop", "progress": 40})
    assert changed.status_code == 200 and changed.get_json()["name"] == "Web shop"
    assert changed.get_json()["deadline"] == project["deadline"]
    # Finishing goes through the status service: progress 100 and the "finished" email.
    finished = api.patch(url, json={"status": "finished"}).get_json()
    assert finished["status"] == "finished" and finished["progress"] == 100
    assert [row[0] for row in outbox(OutboxEmail.contact_id == watcher.id)] == ["project_created", "project_finished"]
    assert api.get(url).get_json() == finished


def test_project_input_errors_are_problems(app, api, f):
    acme = f.make_customer("Acme")
    assert (
        "customer_id"
        in assert_problem(api.post("/api/v1/projects", json={"customer_id": 99999, "name": "X"}), 422)["errors"]
    )
    assert "name" in assert_problem(api.post("/api/v1/projects", json={"customer_id": acme.id}), 422)["errors"]
    bad = {"customer_id": acme.id, "name": "X", "settings": ["nonsense"]}
    assert "settings.0" in assert_problem(api.post("/api/v1/projects", json=bad), 422)["errors"]
    project = f.make_project(acme)
    url = f"/api/v1/projects/{project.id}"
    assert "progress" in assert_problem(api.patch(url, json={"progress": 101}), 422)["errors"]
    assert "status" in assert_problem(api.patch(url, json={"status": "done"}), 422)["errors"]
    problem = assert_problem(api.patch(url, json={"deadline": "2000-01-01"}), 422)
    assert "deadline" in problem["detail"]
    assert_problem(api.get("/api/v1/projects/99999"), 404)
    assert_problem(api.get("/api/v1/projects?status=x"), 422)


def test_tasks_belong_to_their_project(app, api, f):
    acme = f.make_customer("Acme")
    watcher = f.make_contact(acme, notifications={"task"})
    project, elsewhere = f.make_project(acme), f.make_project(acme, name="Elsewhere", tasks=[("Hidden", False)])
    base = f"/api/v1/projects/{project.id}/tasks"
    internal = api.post(base, json={"name": "Internal"})
    assert internal.status_code == 201 and internal.get_json()["visible_to_customer"] is False
    shared = api.post(base, json={"name": "Review", "visible_to_customer": True}).get_json()
    assert outbox(OutboxEmail.contact_id == watcher.id)[0][0] == "task_created"  # only the shared one
    assert len(outbox()) == 1
    assert [t["name"] for t in api.get(base).get_json()["items"]] == ["Internal", "Review"]
    url = f"{base}/{shared['id']}"
    changed = api.patch(url, json={"status": "complete"})
    assert changed.status_code == 200 and changed.get_json()["status"] == "complete"
    assert [row[0] for row in outbox()] == ["task_created", "task_status_changed"]
    assert api.patch(url, json={"visible_to_customer": False}).get_json()["visible_to_customer"] is False
    assert api.get(f"{base}?status=complete").get_json()["items"][0]["id"] == shared["id"]
    # Another project's task, by its id under this project: 404.
    other_task = elsewhere.tasks[0].id
    assert_problem(api.get(f"{base}/{other_task}"), 404)
    assert_problem(api.patch(f"{base}/{other_task}", json={"status": "complete"}), 404)
    assert_problem(api.get("/api/v1/projects/99999/tasks"), 404)
    assert "status" in assert_problem(api.patch(url, json={"status": "nope"}), 422)["errors"]
    assert "name" in assert_problem(api.post(base, json={"name": ""}), 422)["errors"]


def test_task_pages_are_keyset_paginated(app, api, f):
    project = f.make_project(f.make_customer(), tasks=[(f"Task {n}", False) for n in range(5)])
    url, names = f"/api/v1/projects/{project.id}/tasks?limit=2", []
    while url:
        page = api.get(url).get_json()
        names += [t["name"] for t in page["items"]]
        url = (
            f"/api/v1/projects/{project.id}/tasks?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else None
        )
    assert names == [f"Task {n}" for n in range(5)]


# -- tickets and replies -----------------------------------------------------------------------


def test_a_ticket_is_opened_for_a_contact_as_from_the_portal(app, api, f):
    acme = f.make_customer("Acme")
    ann = f.make_contact(acme, notifications={"ticket"})
    response = api.post(
        "/api/v1/tickets",
        json={"contact_id": ann.id, "subject": "Login fails", "message": "Since Monday", "priority": "high"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    ticket = response.get_json()
    assert (ticket["customer_id"], ticket["status"], ticket["department"]) == (acme.id, "open", "General")
    assert [r["body"] for r in ticket["replies"]] == ["Since Monday"] and ticket["replies"][0]["contact_id"] == ann.id
    assert ("ticket_autoreply", ann.id) in [row[:2] for row in outbox()]
    assert api.get(f"/api/v1/tickets/{ticket['id']}").get_json() == ticket
    assert [t["id"] for t in api.get(f"/api/v1/tickets?customer_id={acme.id}&priority=high").get_json()["items"]] == [
        ticket["id"]
    ]
    assert api.get("/api/v1/tickets?priority=low").get_json()["items"] == []


def test_ticket_input_errors_are_problems(app, api, f):
    acme = f.make_customer("Acme")
    ann = f.make_contact(acme)
    body = {"contact_id": ann.id, "subject": "Help", "message": "Please"}
    assert "contact_id" in assert_problem(api.post("/api/v1/tickets", json=body | {"contact_id": 99999}), 422)["errors"]
    assert "message" in assert_problem(api.post("/api/v1/tickets", json=body | {"message": ""}), 422)["errors"]
    assert "priority" in assert_problem(api.post("/api/v1/tickets", json=body | {"priority": "asap"}), 422)["errors"]
    problem = assert_problem(api.post("/api/v1/tickets", json=body | {"department": "Nowhere"}), 422)
    assert "department" in problem["detail"]
    project = f.make_project(f.make_customer("Other"))
    assert_problem(api.post("/api/v1/tickets", json=body | {"project_id": project.id}), 422)
    assert db.session.scalar(select(Ticket.id)) is None
    ticket = f.make_ticket(acme, ann)
    assert "status" in assert_problem(api.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "gone"}), 422)["errors"]
    assert "body" in assert_problem(api.post(f"/api/v1/tickets/{ticket.id}/replies", json={"body": ""}), 422)["errors"]
    assert_problem(api.post("/api/v1/tickets/99999/replies", json={"body": "Hi"}), 404)
    assert_problem(api.get("/api/v1/tickets/99999/replies"), 404)


def test_a_staff_reply_and_status_change_match_the_admin_pages(app, api, admin_client, f):
    acme = f.make_customer("Acme")
    ann = f.make_contact(acme, notifications={"ticket"})
    by_ui, by_api = f.make_ticket(acme, ann, subject="Printer"), f.make_ticket(acme, ann, subject="Printer")

    assert admin_client.post(f"/admin/tickets/{by_ui.id}", data={"body": "Fixed it."}).status_code == 302
    assert admin_client.post(f"/admin/tickets/{by_ui.id}/status", data={"status": "closed"}).status_code == 302
    response = api.post(f"/api/v1/tickets/{by_api.id}/replies", json={"body": "Fixed it."})
    assert response.status_code == 201, response.get_data(as_text=True)
    reply = response.get_json()
    assert reply["staff_id"] is not None and reply["contact_id"] is None and reply["ticket_id"] == by_api.id
    changed = api.patch(f"/api/v1/tickets/{by_api.id}", json={"status": "closed"})
    assert changed.status_code == 200 and changed.get_json()["status"] == "closed"

    ui_mail = [
        row[:3] + (row[3].replace(str(by_ui.id), "<id>"),)
        for row in outbox(OutboxEmail.link.contains(f"/tickets/{by_ui.id}"))
    ]
    api_mail = [
        row[:3] + (row[3].replace(str(by_api.id), "<id>"),)
        for row in outbox(OutboxEmail.link.contains(f"/tickets/{by_api.id}"))
    ]
    assert len(api_mail) == 1 and api_mail == ui_mail and api_mail[0][0] == "ticket_staff_reply"
    ui_audit = audit_actions(AuditEntry.target_type == "Ticket", AuditEntry.target_id == by_ui.id)
    api_audit = audit_actions(AuditEntry.target_type == "Ticket", AuditEntry.target_id == by_api.id)
    assert api_audit == ui_audit == ["ticket.status_changed"]
    # Replies: the contact's first message and the staff reply, oldest first, one per page.
    page = api.get(f"/api/v1/tickets/{by_api.id}/replies?limit=1").get_json()
    assert page["items"][0]["body"] == "Please help" and page["next_cursor"]
    rest = api.get(f"/api/v1/tickets/{by_api.id}/replies?limit=1&cursor={page['next_cursor']}").get_json()
    assert [r["id"] for r in rest["items"]] == [reply["id"]] and rest["next_cursor"] is None
    # Without notify, no email; a department move is audited as in the admin area.
    api.post(f"/api/v1/tickets/{by_api.id}/replies", json={"body": "One more thing", "notify": False})
    assert len(outbox(OutboxEmail.link.contains(f"/tickets/{by_api.id}"))) == 1
    assert (
        db.session.scalar(select(db.func.count()).select_from(TicketReply).where(TicketReply.ticket_id == by_api.id))
        == 3
    )
