"""A project's settings in the customer area: a setting that is off hides its tab or form and
refuses its routes; a project without settings shows only its overview."""

from __future__ import annotations

import io

import pytest

from core.models import DiscussionComment, StoredFile, TaskComment
from tests.conftest import count, login
from tests.http.helpers.portal_projects import ALL_SETTINGS, World, _fill, page, tab_keys

pytestmark = pytest.mark.usefixtures("uploads")


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
