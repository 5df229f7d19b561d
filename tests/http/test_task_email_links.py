"""Task emails link to the task itself (its page in the customer area), not the project overview."""

from __future__ import annotations

import pytest

from core.extensions import db
from core.notifications.notify import notify_task
from tests.conftest import login, text
from tests.http.helpers.email_links import only_email, path_of


@pytest.mark.parametrize("event", ["task_created", "task_commented", "task_status_changed"])
def test_a_task_email_opens_the_task(client, f, event):
    customer = f.make_customer()
    contact = f.make_contact(customer, permissions={"projects"}, notifications={"task"})
    project = f.make_project(customer, tasks=[("Install the router", True)])
    task = project.tasks[0]
    notify_task(event, task)
    db.session.commit()
    path = path_of(only_email(event, contact).link)
    assert path == f"/projects/{project.id}/tasks/{task.id}?login_hint={contact.email}"
    login(client, contact)
    page = client.get(path)
    assert page.status_code == 200 and "Install the router" in text(page)
