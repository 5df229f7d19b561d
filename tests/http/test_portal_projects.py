"""Projects in the customer area: every tab and action, who may open it, and what it emails.

Refusals follow one rule: a missing contact permission is 403 ("Access denied"); another
customer's project, an item of another project, an internal/hidden item, or a part of the
project its settings switch off is 404, and its tab link is not shown.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.catalogs import PERMISSION_KEYS, PROJECT_SETTING_KEYS
from core.extensions import db
from core.models import (
    Discussion,
    DiscussionComment,
    Milestone,
    OutboxEmail,
    StoredFile,
    TaskComment,
)
from core.services.projects import set_project_settings
from tests.conftest import login
from tests.factories import PASSWORD

ALL = frozenset(PERMISSION_KEYS)
ALL_SETTINGS = frozenset(PROJECT_SETTING_KEYS)


@pytest.fixture(autouse=True)
def uploads(app, tmp_path) -> Path:
    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)
    return folder


def add_file(project, name="plan.pdf", data=b"%PDF-1.4 plan", *, visible=True) -> StoredFile:
    """A stored project file written the way ``core.files`` writes uploads."""
    from flask import current_app

    stored = StoredFile(
        customer_id=project.customer_id,
        project_id=project.id,
        original_name=name,
        stored_name=f"{project.id}-{name}-{visible}".replace(".", "-"),
        content_type="application/pdf",
        size=len(data),
        visible_to_customer=visible,
    )
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored.stored_name).write_bytes(data)
    db.session.add(stored)
    db.session.commit()
    return stored


class World:
    """A customer with a fully shared project full of visible and hidden items."""

    def __init__(self, f, *, permissions=ALL, settings=ALL_SETTINGS, company="Acme"):
        self.customer = f.make_customer(company)
        self.contact = f.make_contact(self.customer, permissions=permissions)
        self.project = f.make_project(
            self.customer, name=f"{company} tower", tasks=[(f"{company} pour concrete", True), ("Cost review", False)]
        )
        self.project.description = "Twelve floors of glass."
        self.project.progress = 40
        set_project_settings(self.project, settings)
        self.task, self.internal_task = self.project.tasks
        self.milestone = Milestone(project_id=self.project.id, name="Shell complete")
        self.hidden_milestone = Milestone(project_id=self.project.id, name="Budget gate", visible_to_customer=False)
        self.discussion = Discussion(project_id=self.project.id, subject="Facade colour")
        self.hidden_discussion = Discussion(
            project_id=self.project.id, subject="Margin talk", visible_to_customer=False
        )
        db.session.add_all([self.milestone, self.hidden_milestone, self.discussion, self.hidden_discussion])
        db.session.commit()
        self.file = add_file(self.project, "plan.pdf")
        self.hidden_file = add_file(self.project, "costing.pdf", visible=False)
        # Documents of the project, and a draft of each kind that must never show.
        self.invoice = f.make_invoice(self.customer)
        self.draft_invoice = f.make_invoice(self.customer, status="draft")
        self.estimate = f.make_estimate(self.customer)
        self.draft_estimate = f.make_estimate(self.customer, status="draft")
        self.contract = f.make_contract(self.customer, subject="Site contract")
        self.proposal = f.make_proposal(self.customer, subject="Extra floor offer")
        self.draft_proposal = f.make_proposal(self.customer, status="draft", subject="Secret draft offer")
        self.ticket = f.make_ticket(self.customer, self.contact, subject="Crane noise")
        self.other_invoice = f.make_invoice(self.customer)  # same customer, no project: not in the tab
        for doc in (
            self.invoice,
            self.draft_invoice,
            self.estimate,
            self.draft_estimate,
            self.contract,
            self.proposal,
            self.draft_proposal,
            self.ticket,
        ):
            doc.project_id = self.project.id
        db.session.commit()

    def url(self, suffix: str = "") -> str:
        return f"/projects/{self.project.id}{suffix}"


def tab_keys(body: str) -> list[str]:
    return [part.split('"', 1)[0] for part in body.split('data-tab="')[1:]]


def page(client, url: str):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def download(client, url: str):
    """GET a file and close the response (send_file keeps the file open until then)."""
    response = client.get(url)
    response.get_data()  # read it while the file is open
    response.close()
    return response


def outbox() -> list[tuple[str, str]]:
    return sorted(tuple(row) for row in db.session.execute(select(OutboxEmail.event, OutboxEmail.to_address)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# -- every tab for a permitted contact --------------------------------------------------------


def test_list_shows_status_progress_and_deadline_of_own_projects_only(client, f):
    world = World(f)
    other = World(f, company="Globex")
    login(client, world.contact)
    status, body = page(client, "/projects")
    assert status == 200
    assert world.project.name in body and other.project.name not in body
    assert 'value="40" max="100"' in body and "In progress" in body


def test_overview_and_every_tab_for_a_permitted_contact(client, f):
    world = World(f)
    login(client, world.contact)

    status, body = page(client, world.url())
    assert status == 200
    assert tab_keys(body) == [
        "overview",
        "tasks",
        "milestones",
        "files",
        "discussions",
        "invoices",
        "estimates",
        "contracts",
        "proposals",
        "tickets",
    ]
    assert "Twelve floors of glass." in body and 'value="40"' in body

    expectations = {
        "/tasks": ([world.task.name], [world.internal_task.name]),
        "/milestones": (["Shell complete"], ["Budget gate"]),
        "/files": (["plan.pdf"], ["costing.pdf"]),
        "/discussions": (["Facade colour"], ["Margin talk"]),
        "/invoices": ([world.invoice.number], [world.draft_invoice.number, world.other_invoice.number]),
        "/estimates": ([world.estimate.number], [world.draft_estimate.number]),
        "/contracts": (["Site contract"], []),
        "/proposals": (["Extra floor offer"], ["Secret draft offer"]),
        "/tickets": (["Crane noise"], []),
    }
    for suffix, (shown, hidden) in expectations.items():
        status, body = page(client, world.url(suffix))
        assert status == 200, suffix
        for text in shown:
            assert text in body, (suffix, text)
        for text in hidden:
            assert text not in body, (suffix, text)


def test_task_page_shows_comments_and_the_form(client, f):
    world = World(f)
    db.session.add(TaskComment(task_id=world.task.id, body="Concrete arrives Monday", staff_id=None))
    db.session.commit()
    login(client, world.contact)
    status, body = page(client, world.url(f"/tasks/{world.task.id}"))
    assert status == 200
    assert world.task.name in body and "Concrete arrives Monday" in body
    assert f'action="/projects/{world.project.id}/tasks/{world.task.id}/comments"' in body


def test_discussion_page_shows_comments_and_the_form(client, f):
    world = World(f)
    db.session.add(DiscussionComment(discussion_id=world.discussion.id, body="Anthracite?"))
    db.session.commit()
    login(client, world.contact)
    status, body = page(client, world.url(f"/discussions/{world.discussion.id}"))
    assert status == 200
    assert "Facade colour" in body and "Anthracite?" in body
    assert f'/discussions/{world.discussion.id}/comments"' in body


def test_file_download_is_an_attachment_with_the_bytes(client, f):
    world = World(f)
    login(client, world.contact)
    response = download(client, world.url(f"/files/{world.file.id}"))
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 plan"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "plan.pdf" in response.headers["Content-Disposition"]


def test_file_whose_bytes_are_gone_is_404_not_500(client, f, uploads):
    world = World(f)
    (uploads / world.file.stored_name).unlink()
    login(client, world.contact)
    assert download(client, world.url(f"/files/{world.file.id}")).status_code == 404


def test_tickets_tab_follows_the_ticket_visibility_rule(client, f):
    """Like the Support pages: a contact sees its own tickets, a colleague's only when staff
    let contacts see all tickets of their company."""
    from core.services.settings import CONTACTS_SEE_ALL_TICKETS, set_settings

    world = World(f)
    colleague = f.make_contact(world.customer, password=None)
    theirs = f.make_ticket(world.customer, colleague, subject="Colleague question")
    theirs.project_id = world.project.id
    db.session.commit()
    login(client, world.contact)

    set_settings({CONTACTS_SEE_ALL_TICKETS: "0"})
    body = page(client, world.url("/tickets"))[1]
    assert "Crane noise" in body and "Colleague question" not in body
    set_settings({CONTACTS_SEE_ALL_TICKETS: "1"})
    body = page(client, world.url("/tickets"))[1]
    assert "Crane noise" in body and "Colleague question" in body


# -- hidden and foreign things -----------------------------------------------------------------


def test_internal_and_hidden_items_are_404(client, f):
    world = World(f)
    login(client, world.contact)
    for suffix in (
        f"/tasks/{world.internal_task.id}",
        f"/files/{world.hidden_file.id}",
        f"/discussions/{world.hidden_discussion.id}",
    ):
        status, body = page(client, world.url(suffix))
        assert status == 404, suffix
        assert "Not found" in body
    assert "Budget gate" not in page(client, world.url("/milestones"))[1]


def test_comment_on_internal_task_or_hidden_discussion_is_404_and_changes_nothing(client, f):
    world = World(f)
    login(client, world.contact)
    assert client.post(world.url(f"/tasks/{world.internal_task.id}/comments"), data={"body": "hi"}).status_code == 404
    url = world.url(f"/discussions/{world.hidden_discussion.id}/comments")
    assert client.post(url, data={"body": "hi"}).status_code == 404
    assert count(TaskComment) == 0 and count(DiscussionComment) == 0


def test_another_customers_project_is_404_on_every_tab_and_action(client, f):
    mine, theirs = World(f), World(f, company="Globex")
    login(client, mine.contact)
    urls = [
        theirs.url(s)
        for s in (
            "",
            "/tasks",
            f"/tasks/{theirs.task.id}",
            "/milestones",
            "/files",
            f"/files/{theirs.file.id}",
            "/discussions",
            f"/discussions/{theirs.discussion.id}",
            "/invoices",
            "/estimates",
            "/contracts",
            "/proposals",
            "/tickets",
        )
    ]
    for url in urls:
        status, body = page(client, url)
        assert status == 404, url
        assert theirs.project.name not in body
    posts = [
        (theirs.url(f"/tasks/{theirs.task.id}/comments"), {"body": "hi"}),
        (theirs.url(f"/discussions/{theirs.discussion.id}/comments"), {"body": "hi"}),
        (theirs.url("/files"), {"file": (io.BytesIO(b"x"), "x.txt")}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 404, url
    assert count(TaskComment) == 0 and count(DiscussionComment) == 0 and count(StoredFile) == 4


def test_items_of_another_project_cannot_be_reached_through_this_projects_urls(client, f):
    world = World(f)
    # A second project of the SAME customer: its items exist for this contact, but only
    # under their own project's URLs.
    sibling = f.make_project(world.customer, name="Annex", tasks=[("Annex task", True)])
    set_project_settings(sibling, ALL_SETTINGS)
    sibling_discussion = Discussion(project_id=sibling.id, subject="Annex talk")
    db.session.add(sibling_discussion)
    db.session.commit()
    sibling_file = add_file(sibling, "annex.pdf")
    foreign = World(f, company="Globex")
    login(client, world.contact)

    for item in (sibling.tasks[0], foreign.task):
        assert client.get(world.url(f"/tasks/{item.id}")).status_code == 404
        assert client.post(world.url(f"/tasks/{item.id}/comments"), data={"body": "x"}).status_code == 404
    for stored in (sibling_file, foreign.file):
        assert client.get(world.url(f"/files/{stored.id}")).status_code == 404
    for discussion in (sibling_discussion, foreign.discussion):
        assert client.get(world.url(f"/discussions/{discussion.id}")).status_code == 404
    assert download(client, f"/projects/{sibling.id}/files/{sibling_file.id}").status_code == 200
    assert count(TaskComment) == 0


def test_unknown_and_huge_ids_are_404(client, f):
    world = World(f)
    login(client, world.contact)
    for url in (world.url("/tasks/999999"), world.url("/files/99999999999"), "/projects/99999999999/tasks"):
        assert client.get(url).status_code == 404, url


# -- permissions -------------------------------------------------------------------------------


ALL_ROUTES = (
    ("GET", ""),
    ("GET", "/tasks"),
    ("GET", "/tasks/{task}"),
    ("POST", "/tasks/{task}/comments"),
    ("GET", "/milestones"),
    ("GET", "/files"),
    ("POST", "/files"),
    ("GET", "/files/{file}"),
    ("GET", "/discussions"),
    ("GET", "/discussions/{discussion}"),
    ("POST", "/discussions/{discussion}/comments"),
    ("GET", "/invoices"),
    ("GET", "/estimates"),
    ("GET", "/contracts"),
    ("GET", "/proposals"),
    ("GET", "/tickets"),
)


def _fill(world: World, suffix: str) -> str:
    return world.url(suffix.format(task=world.task.id, file=world.file.id, discussion=world.discussion.id))


def test_without_the_projects_permission_everything_is_access_denied(client, f):
    world = World(f, permissions=ALL - {"projects"})
    login(client, world.contact)
    assert client.get("/projects").status_code == 403
    for method, suffix in ALL_ROUTES:
        response = client.open(_fill(world, suffix), method=method, data={"body": "sneaky"})
        body = response.get_data(as_text=True)
        assert response.status_code == 403, suffix
        assert "Access denied" in body and world.project.name not in body
    assert count(TaskComment) == 0 and count(DiscussionComment) == 0


@pytest.mark.parametrize(
    ("tab", "permission"),
    [
        ("invoices", "invoices"),
        ("estimates", "estimates"),
        ("contracts", "contracts"),
        ("proposals", "proposals"),
        ("tickets", "support"),
    ],
)
def test_document_tab_needs_the_contacts_permission_too(client, f, tab, permission):
    world = World(f, permissions=ALL - {permission})
    foreign = World(f, company="Globex")
    login(client, world.contact)
    status, body = page(client, world.url(f"/{tab}"))
    assert status == 403 and "Access denied" in body
    # Refused before any lookup, like the feature permission: a foreign project is 403 too.
    assert client.get(foreign.url(f"/{tab}")).status_code == 403
    tabs = tab_keys(page(client, world.url())[1])
    assert tab not in tabs
    assert len(tabs) == 9


# -- project settings ---------------------------------------------------------------------------


SETTING_ROUTES = {
    "view_tasks": ("tasks", ["/tasks", "/tasks/{task}", "POST /tasks/{task}/comments"]),
    "view_milestones": ("milestones", ["/milestones"]),
    "view_files": ("files", ["/files", "/files/{file}", "POST /files"]),
    "view_discussions": (
        "discussions",
        ["/discussions", "/discussions/{discussion}", "POST /discussions/{discussion}/comments"],
    ),
    "view_finance": (None, ["/invoices", "/estimates", "/contracts", "/proposals"]),
    "view_tickets": ("tickets", ["/tickets"]),
}


@pytest.mark.parametrize("setting", sorted(SETTING_ROUTES))
def test_setting_off_hides_the_tab_and_refuses_its_routes(client, f, setting):
    world = World(f, settings=ALL_SETTINGS - {setting})
    tab, routes = SETTING_ROUTES[setting]
    login(client, world.contact)
    tabs = tab_keys(page(client, world.url())[1])
    hidden = {tab} if tab else {"invoices", "estimates", "contracts", "proposals"}
    assert not hidden & set(tabs)
    for route in routes:
        method, _, suffix = route.rpartition(" ")
        response = client.open(
            _fill(world, suffix),
            method=method or "GET",
            data={"body": "hello", "file": (io.BytesIO(b"data"), "new.txt")} if method else None,
        )
        assert response.status_code == 404, route
    assert count(TaskComment) == 0 and count(DiscussionComment) == 0 and count(StoredFile) == 2


def test_project_without_settings_shows_only_its_overview(client, f):
    world = World(f, settings=frozenset())
    login(client, world.contact)
    status, body = page(client, world.url())
    assert status == 200 and tab_keys(body) == ["overview"]


def test_comment_tasks_off_hides_the_form_and_refuses_the_comment(client, f):
    world = World(f, settings=ALL_SETTINGS - {"comment_tasks"})
    login(client, world.contact)
    status, body = page(client, world.url(f"/tasks/{world.task.id}"))
    assert status == 200 and "/comments" not in body
    response = client.post(world.url(f"/tasks/{world.task.id}/comments"), data={"body": "hello"})
    assert response.status_code == 404
    assert count(TaskComment) == 0


def test_upload_files_off_hides_the_form_and_refuses_the_upload(client, f, uploads):
    world = World(f, settings=ALL_SETTINGS - {"upload_files"})
    login(client, world.contact)
    status, body = page(client, world.url("/files"))
    assert status == 200 and 'enctype="multipart/form-data"' not in body
    response = client.post(world.url("/files"), data={"file": (io.BytesIO(b"data"), "new.txt")})
    assert response.status_code == 404
    assert count(StoredFile) == 2 and len(list(uploads.iterdir())) == 2


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
