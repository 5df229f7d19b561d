"""Tasks, task comments and milestones of a project in the admin area, and exactly which emails
each action queues."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Contact, Milestone, Project, Task, TaskComment
from core.services.projects import set_project_settings
from tests.conftest import count, login
from tests.http.helpers.admin_projects import ALL_SETTINGS, acme_customer, emails, fresh, outbox

pytestmark = pytest.mark.usefixtures("uploads")


TASK_FANS = ["both@acme.example", "task@acme.example"]


# -- tasks ---------------------------------------------------------------------------------------


def test_adding_tasks_emails_only_for_tasks_the_customer_sees(admin_client, acme):
    admin_client.post(f"/admin/projects/{acme.id}/tasks", data={"task-name": "Shared", "task-visible_to_customer": "y"})
    admin_client.post(f"/admin/projects/{acme.id}/tasks", data={"task-name": "Shared", "task-visible_to_customer": "y"})
    admin_client.post(f"/admin/projects/{acme.id}/tasks", data={"task-name": "Internal"})
    assert [t.name for t in fresh(Project, acme.id).tasks] == ["Pour concrete", "Cost review", "Shared", "Internal"]
    assert outbox() == emails("task_created", TASK_FANS)

    set_project_settings(acme, ALL_SETTINGS - {"view_tasks"})
    admin_client.post(
        f"/admin/projects/{acme.id}/tasks", data={"task-name": "Hidden tab", "task-visible_to_customer": "y"}
    )
    assert outbox() == emails("task_created", TASK_FANS)  # nothing new: the customer cannot see tasks


def test_task_visibility_can_be_changed_without_email(admin_client, acme):
    shared, internal = acme.tasks
    admin_client.post(f"/admin/tasks/{shared.id}/visibility", data={})
    admin_client.post(f"/admin/tasks/{internal.id}/visibility", data={"visible_to_customer": "y"})
    assert not fresh(Task, shared.id).visible_to_customer
    assert fresh(Task, internal.id).visible_to_customer
    assert outbox() == []


def test_task_status_change_emails_for_shared_tasks_only(admin_client, acme):
    shared, internal = acme.tasks
    admin_client.post(f"/admin/tasks/{shared.id}/status", data={"status": "complete"})
    admin_client.post(f"/admin/tasks/{internal.id}/status", data={"status": "complete"})
    assert fresh(Task, shared.id).status == "complete"
    assert outbox() == emails("task_status_changed", TASK_FANS)


def test_staff_task_comment_emails_task_contacts_and_shows_in_the_portal(client, admin_client, acme):
    shared, internal = acme.tasks
    page = admin_client.get(f"/admin/tasks/{shared.id}")
    assert page.status_code == 200 and "Pour concrete" in page.get_data(as_text=True)

    admin_client.post(f"/admin/tasks/{shared.id}/comments", data={"body": "Pump truck booked."})
    admin_client.post(f"/admin/tasks/{shared.id}/comments", data={"body": "Pump truck booked."})  # double
    admin_client.post(f"/admin/tasks/{internal.id}/comments", data={"body": "Margins look thin."})

    comments = db.session.scalars(select(TaskComment).order_by(TaskComment.id)).all()
    assert [(c.task_id, c.body) for c in comments] == [
        (shared.id, "Pump truck booked."),
        (internal.id, "Margins look thin."),
    ]
    assert all(c.staff_id and c.contact_id is None for c in comments)
    assert outbox() == emails("task_commented", TASK_FANS)
    assert "Pump truck booked." in admin_client.get(f"/admin/tasks/{shared.id}").get_data(as_text=True)

    anna = db.session.scalar(select(Contact).where(Contact.email == "both@acme.example"))
    login(client, anna)
    body = client.get(f"/projects/{acme.id}/tasks/{shared.id}").get_data(as_text=True)
    assert "Pump truck booked." in body and "Staff Member" in body


def test_empty_staff_comment_is_refused(admin_client, acme):
    response = admin_client.post(f"/admin/tasks/{acme.tasks[0].id}/comments", data={"body": " "}, follow_redirects=True)
    assert "Write a comment first." in response.get_data(as_text=True)
    assert count(TaskComment) == 0


# -- milestones ------------------------------------------------------------------------------------


def test_milestones_add_edit_delete_and_visibility(client, admin_client, acme, f):
    due = date.today() + timedelta(days=10)
    admin_client.post(
        f"/admin/projects/{acme.id}/milestones",
        data={"milestone-name": "Shell", "milestone-due_date": due.isoformat(), "milestone-visible_to_customer": "y"},
    )
    admin_client.post(f"/admin/projects/{acme.id}/milestones", data={"milestone-name": "Budget gate"})
    shell, gate = db.session.scalars(select(Milestone).order_by(Milestone.id)).all()
    assert (shell.name, shell.due_date, shell.visible_to_customer) == ("Shell", due, True)
    assert not gate.visible_to_customer

    me = f.make_contact(acme_customer(acme))
    login(client, me)
    body = client.get(f"/projects/{acme.id}/milestones").get_data(as_text=True)
    assert "Shell" in body and "Budget gate" not in body

    assert admin_client.get(f"/admin/milestones/{gate.id}/edit").status_code == 200
    admin_client.post(
        f"/admin/milestones/{gate.id}/edit",
        data={"milestone-name": "Budget approved", "milestone-visible_to_customer": "y"},
    )
    assert "Budget approved" in client.get(f"/projects/{acme.id}/milestones").get_data(as_text=True)

    admin_client.post(f"/admin/milestones/{shell.id}/delete")
    assert admin_client.post(f"/admin/milestones/{shell.id}/delete").status_code == 404  # already gone
    db.session.expire_all()
    assert [m.name for m in db.session.scalars(select(Milestone))] == ["Budget approved"]
    assert outbox() == []
