"""Actions on a project in the customer area: task and discussion comments and uploads are saved
and email the project's contacts once; limits give a message and store nothing; every form
carries and needs the CSRF token."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import DiscussionComment, OutboxEmail, StoredFile, TaskComment
from tests.conftest import count, login
from tests.factories import PASSWORD
from tests.http.helpers.portal_projects import World, download, outbox, page

pytestmark = pytest.mark.usefixtures("uploads")


# -- actions and their emails ----------------------------------------------------------------


def fans(f, world: World):
    """Contacts of the world's customer with different project/task toggles."""
    both = f.make_contact(world.customer, email="both@acme.example", notifications={"project", "task"})
    task_only = f.make_contact(world.customer, email="task@acme.example", notifications={"task"})
    project_only = f.make_contact(world.customer, email="project@acme.example", notifications={"project"})
    f.make_contact(world.customer, email="quiet@acme.example")
    f.make_contact(world.customer, email="invoices@acme.example", permissions={"invoices"}, notifications={"invoice"})
    return both, task_only, project_only


def test_task_comment_is_saved_and_emails_the_task_contacts_once(client, f):
    world = World(f)
    fans(f, world)
    login(client, world.contact)
    url = world.url(f"/tasks/{world.task.id}/comments")

    response = client.post(url, data={"body": "  Please use the north gate.  "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tasks/{world.task.id}")
    response = client.post(url, data={"body": "Please use the north gate."})  # double submit

    (comment,) = db.session.scalars(select(TaskComment)).all()
    assert (comment.task_id, comment.contact_id, comment.staff_id) == (world.task.id, world.contact.id, None)
    assert comment.body == "Please use the north gate."
    assert outbox() == [("task_commented", "both@acme.example"), ("task_commented", "task@acme.example")]
    body = page(client, world.url(f"/tasks/{world.task.id}"))[1]
    assert "Please use the north gate." in body and world.contact.full_name in body


def test_empty_or_too_long_comment_is_refused_with_a_message(client, f):
    world = World(f)
    login(client, world.contact)
    url = world.url(f"/tasks/{world.task.id}/comments")
    response = client.post(url, data={"body": "   "}, follow_redirects=True)
    assert response.status_code == 200 and "Write a comment first." in response.get_data(as_text=True)
    response = client.post(url, data={"body": "x" * 10_001}, follow_redirects=True)
    assert response.status_code == 200 and "10000" in response.get_data(as_text=True)
    assert count(TaskComment) == 0 and outbox() == []


def test_discussion_comment_is_saved_and_emails_the_project_contacts_once(client, f):
    world = World(f)
    fans(f, world)
    login(client, world.contact)
    url = world.url(f"/discussions/{world.discussion.id}/comments")

    assert client.post(url, data={"body": "Anthracite, please."}).status_code == 302
    client.post(url, data={"body": "Anthracite, please."})  # double submit

    (comment,) = db.session.scalars(select(DiscussionComment)).all()
    assert (comment.discussion_id, comment.contact_id) == (world.discussion.id, world.contact.id)
    assert outbox() == [("project_discussion", "both@acme.example"), ("project_discussion", "project@acme.example")]


def test_upload_stores_the_file_emails_project_contacts_and_can_be_downloaded(client, f, uploads):
    world = World(f)
    fans(f, world)
    login(client, world.contact)

    response = client.post(world.url("/files"), data={"file": (io.BytesIO(b"site photo"), "../../photo one.png")})
    assert response.status_code == 302
    client.post(world.url("/files"), data={"file": (io.BytesIO(b"site photo"), "../../photo one.png")})  # double

    stored = db.session.scalar(select(StoredFile).where(StoredFile.original_name == "photo_one.png"))
    assert stored is not None and count(StoredFile) == 3
    assert (stored.project_id, stored.customer_id, stored.uploaded_by_contact_id) == (
        world.project.id,
        world.customer.id,
        world.contact.id,
    )
    assert stored.visible_to_customer and (uploads / stored.stored_name).read_bytes() == b"site photo"
    assert len(list(uploads.iterdir())) == 3  # the double submit left no stray bytes behind
    assert outbox() == [("project_file_added", "both@acme.example"), ("project_file_added", "project@acme.example")]
    assert "photo_one.png" in db.session.scalar(select(OutboxEmail.text_body).limit(1))
    assert download(client, world.url(f"/files/{stored.id}")).data == b"site photo"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("big.pdf", b"x" * 2048, "larger than"),
        ("script.exe", b"MZ", "not allowed"),
        ("empty.txt", b"", "empty"),
        ("", b"data", "Choose a file"),
    ],
    ids=["too-big", "bad-type", "empty", "no-file"],
)
def test_upload_limits_give_a_message_and_store_nothing(app, client, f, uploads, name, data, message):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    world = World(f)
    fans(f, world)
    login(client, world.contact)
    response = client.post(world.url("/files"), data={"file": (io.BytesIO(data), name)}, follow_redirects=True)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(StoredFile) == 2 and len(list(uploads.iterdir())) == 2
    assert outbox() == []


def test_request_larger_than_the_server_limit_is_413(app, client, f):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    world = World(f)
    login(client, world.contact)
    response = client.post(world.url("/files"), data={"file": (io.BytesIO(b"x" * 8192), "big.pdf")})
    assert response.status_code == 413
    assert count(StoredFile) == 2


def _token(client, url: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@pytest.mark.csrf
def test_comment_and_upload_forms_carry_and_need_the_csrf_token(client, f):
    world = World(f)
    token = _token(client, "/login")
    client.post("/login", data={"email": world.contact.email, "password": PASSWORD, "csrf_token": token})
    task_url = world.url(f"/tasks/{world.task.id}")

    assert client.post(f"{task_url}/comments", data={"body": "no token"}).status_code == 400
    assert client.post(world.url("/files"), data={"file": (io.BytesIO(b"x"), "x.txt")}).status_code == 400
    assert count(TaskComment) == 0 and count(StoredFile) == 2

    response = client.post(f"{task_url}/comments", data={"body": "with token", "csrf_token": _token(client, task_url)})
    assert response.status_code == 302
    token = _token(client, world.url("/files"))
    response = client.post(world.url("/files"), data={"file": (io.BytesIO(b"x"), "x.txt"), "csrf_token": token})
    assert response.status_code == 302
    assert count(TaskComment) == 1 and count(StoredFile) == 3
