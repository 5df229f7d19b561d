"""Projects in the customer area: every tab and action, who may open it, and what it emails.

Refusals follow one rule: a missing contact permission is 403 ("Access denied"); another
customer's project, an item of another project, an internal/hidden item, or a part of the
project its settings switch off is 404, and its tab link is not shown. Settings and actions
(comments, uploads): test_portal_project_settings.py, test_portal_project_actions.py.
"""

from __future__ import annotations

import io

import pytest

from core.extensions import db
from core.models import Discussion, DiscussionComment, StoredFile, TaskComment
from core.services.projects import set_project_settings
from tests.conftest import count, login
from tests.http.helpers.portal_projects import ALL, ALL_SETTINGS, World, _fill, add_file, download, page, tab_keys

pytestmark = pytest.mark.usefixtures("uploads")


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
