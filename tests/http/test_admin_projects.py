"""Projects in the admin area: the list, editing, customer settings, files and discussions, and
exactly which emails each action queues (tasks, task comments and milestones:
test_admin_project_tasks.py)."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.catalogs import DEFAULT_PROJECT_SETTINGS
from core.extensions import db
from core.models import AuditEntry, Discussion, DiscussionComment, Project, StoredFile
from core.services.projects import project_settings, set_project_settings
from tests.conftest import count
from tests.http.helpers.admin import assert_staff_only
from tests.http.helpers.admin_projects import ALL_SETTINGS, PROJECT_FANS, acme_customer, emails, fresh, outbox

pytestmark = pytest.mark.usefixtures("uploads")


# -- list --------------------------------------------------------------------------------------


def test_list_searches_name_and_company_filters_status_and_paginates(app, admin_client, f):
    acme, globex = f.make_customer("Acme Builders"), f.make_customer("Globex 100%")
    f.make_project(acme, name="Tower")
    finished = f.make_project(globex, name="Bridge")
    finished.status = "finished"
    db.session.commit()

    def names(query: str) -> list[str]:
        body = admin_client.get(f"/admin/projects{query}").get_data(as_text=True)
        return [n for n in ("Tower", "Bridge") if f">{n}</a>" in body]

    assert names("") == ["Tower", "Bridge"] or names("") == ["Tower", "Bridge"][::-1]
    assert names("?q=tow") == ["Tower"]
    assert names("?q=GLOBEX") == ["Bridge"]
    assert names("?q=100%25") == ["Bridge"]  # a literal %, not a wildcard
    assert names("?q=_") == []  # a literal _, not a wildcard
    assert names("?status=finished") == ["Bridge"]
    assert names("?status=bogus") != []  # an unknown status filters nothing
    body = admin_client.get("/admin/projects").get_data(as_text=True)
    assert "Acme Builders" in body and "Globex 100%" in body

    app.config["PAGE_SIZE"] = 1
    first = admin_client.get("/admin/projects").get_data(as_text=True)
    second = admin_client.get("/admin/projects?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert admin_client.get("/admin/projects?page=abc").status_code == 200


def test_list_needs_staff(app, f):
    assert_staff_only(app, f, "/admin/projects")


# -- create and edit -----------------------------------------------------------------------------


def test_new_project_gets_the_default_settings_and_emails_project_contacts(admin_client, acme):
    page = admin_client.get(f"/admin/customers/{acme.customer_id}/projects/new").get_data(as_text=True)
    for key in DEFAULT_PROJECT_SETTINGS:
        assert f'checked class="form-check-input" id="setting_{key}"' in page
    assert 'checked class="form-check-input" id="setting_upload_files"' not in page
    form = {"name": "Annex", "description": "Small", **{f"setting_{k}": "y" for k in DEFAULT_PROJECT_SETTINGS}}

    response = admin_client.post(f"/admin/customers/{acme.customer_id}/projects/new", data=form)
    admin_client.post(f"/admin/customers/{acme.customer_id}/projects/new", data=form)  # double submit

    project = db.session.scalar(select(Project).where(Project.name == "Annex"))
    assert response.headers["Location"].endswith(f"/admin/projects/{project.id}")
    assert count(Project) == 2
    assert project_settings(project) == DEFAULT_PROJECT_SETTINGS
    assert outbox() == emails("project_created", PROJECT_FANS)


def test_new_project_with_chosen_settings(admin_client, acme):
    admin_client.post(
        f"/admin/customers/{acme.customer_id}/projects/new", data={"name": "Annex", "setting_view_files": "y"}
    )
    project = db.session.scalar(select(Project).where(Project.name == "Annex"))
    assert project_settings(project) == {"view_files"}


def test_new_project_for_unknown_customer_is_404(admin_client):
    assert admin_client.get("/admin/customers/999/projects/new").status_code == 404


def test_edit_saves_name_description_deadline_and_progress(admin_client, acme):
    deadline = date.today() + timedelta(days=30)
    page = admin_client.get(f"/admin/projects/{acme.id}/edit")
    assert page.status_code == 200 and 'value="Tower"' in page.get_data(as_text=True)
    response = admin_client.post(
        f"/admin/projects/{acme.id}/edit",
        data={"name": "Tower B", "description": "Now taller", "deadline": deadline.isoformat(), "progress": "65"},
    )
    assert response.status_code == 302
    project = fresh(Project, acme.id)
    assert (project.name, project.description, project.deadline, project.progress) == (
        "Tower B",
        "Now taller",
        deadline,
        65,
    )
    assert outbox() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "X", "progress": "150"}, "between 0 and 100"),
        ({"name": "X", "progress": "abc"}, "Progress"),
        ({"name": "", "progress": "10"}, "This field is required"),
        ({"name": "X", "progress": "10", "deadline": "2000-01-01"}, "before the start date"),
        ({"name": "X" * 201, "progress": "10"}, "200"),
    ],
    ids=["progress-high", "progress-junk", "no-name", "deadline-before-start", "name-too-long"],
)
def test_edit_refuses_bad_values_with_a_message(admin_client, acme, data, message):
    response = admin_client.post(f"/admin/projects/{acme.id}/edit", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    project = fresh(Project, acme.id)
    assert (project.name, project.progress) == ("Tower", 0)


def test_finishing_emails_project_contacts_once(admin_client, acme):
    admin_client.post(f"/admin/projects/{acme.id}/status", data={"status": "finished"})
    admin_client.post(f"/admin/projects/{acme.id}/status", data={"status": "finished"})
    project = fresh(Project, acme.id)
    assert (project.status, project.progress) == ("finished", 100)
    assert outbox() == emails("project_finished", PROJECT_FANS)
    admin_client.post(f"/admin/projects/{acme.id}/status", data={"status": "bogus"})
    assert fresh(Project, acme.id).status == "finished"


def test_settings_are_saved_exactly_and_audited(admin_client, acme):
    page = admin_client.get(f"/admin/projects/{acme.id}").get_data(as_text=True)
    assert 'checked class="form-check-input" id="setting_upload_files"' in page
    response = admin_client.post(
        f"/admin/projects/{acme.id}/settings", data={"setting_view_tasks": "y", "setting_view_files": "y"}
    )
    assert response.status_code == 302
    assert project_settings(acme) == {"view_tasks", "view_files"}
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "project_settings_changed").order_by(AuditEntry.id.desc())
    )
    assert entry.actor_type == "staff" and entry.target_id == acme.id
    assert json.loads(entry.details)["after"] == ["view_tasks", "view_files"]
    admin_client.post(f"/admin/projects/{acme.id}/settings", data={})
    assert project_settings(acme) == frozenset()


def test_unknown_project_is_404_everywhere(admin_client):
    for url in ("/admin/projects/999", "/admin/projects/999/edit", "/admin/tasks/999", "/admin/discussions/999"):
        assert admin_client.get(url).status_code == 404, url
    for url in ("/admin/projects/999/status", "/admin/projects/999/settings", "/admin/projects/999/milestones"):
        assert admin_client.post(url, data={}).status_code == 404, url


# -- files -----------------------------------------------------------------------------------------


def upload(admin_client, project, name="plan.pdf", data=b"%PDF plan", visible=True):
    form = {"file-file": (io.BytesIO(data), name)}
    if visible:
        form["file-visible_to_customer"] = "y"
    return admin_client.post(f"/admin/projects/{project.id}/files", data=form)


def test_staff_upload_emails_only_when_the_customer_sees_the_file(admin_client, acme, uploads):
    assert upload(admin_client, acme).status_code == 302
    upload(admin_client, acme)  # double submit
    upload(admin_client, acme, "costing.pdf", visible=False)
    files = db.session.scalars(select(StoredFile).order_by(StoredFile.id)).all()
    assert [(s.original_name, s.visible_to_customer) for s in files] == [("plan.pdf", True), ("costing.pdf", False)]
    assert all(s.uploaded_by_staff_id and s.customer_id == acme.customer_id for s in files)
    assert len(list(uploads.iterdir())) == 2
    assert outbox() == emails("project_file_added", PROJECT_FANS)

    set_project_settings(acme, ALL_SETTINGS - {"view_files"})
    upload(admin_client, acme, "later.pdf")
    assert outbox() == emails("project_file_added", PROJECT_FANS)  # the customer cannot see files now


def test_staff_upload_limits(app, admin_client, acme, uploads):
    app.config["UPLOAD_MAX_BYTES"] = 10
    response = admin_client.post(
        f"/admin/projects/{acme.id}/files",
        data={"file-file": (io.BytesIO(b"x" * 11), "big.pdf")},
        follow_redirects=True,
    )
    assert "larger than" in response.get_data(as_text=True)
    response = admin_client.post(f"/admin/projects/{acme.id}/files", data={}, follow_redirects=True)
    assert "Choose a file to upload." in response.get_data(as_text=True)
    assert count(StoredFile) == 0
    assert not uploads.exists() or not list(uploads.iterdir())


def test_staff_download_and_delete(admin_client, acme, f, uploads):
    upload(admin_client, acme, visible=False)
    stored = db.session.scalar(select(StoredFile))
    other = f.make_project(acme_customer(acme), name="Annex")

    response = admin_client.get(f"/admin/projects/{acme.id}/files/{stored.id}")
    assert response.status_code == 200 and response.get_data() == b"%PDF plan"
    response.close()
    assert admin_client.get(f"/admin/projects/{other.id}/files/{stored.id}").status_code == 404
    assert admin_client.post(f"/admin/projects/{other.id}/files/{stored.id}/delete").status_code == 404

    assert admin_client.post(f"/admin/projects/{acme.id}/files/{stored.id}/delete").status_code == 302
    assert count(StoredFile) == 0 and list(uploads.iterdir()) == []
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "project_file_deleted"))
    assert admin_client.post(f"/admin/projects/{acme.id}/files/{stored.id}/delete").status_code == 404


# -- discussions -----------------------------------------------------------------------------------


def test_discussions_create_and_staff_comments_email_when_visible(admin_client, acme):
    data = {"discussion-subject": "Facade colour", "discussion-description": "Options attached"}
    response = admin_client.post(
        f"/admin/projects/{acme.id}/discussions", data=data | {"discussion-visible_to_customer": "y"}
    )
    admin_client.post(f"/admin/projects/{acme.id}/discussions", data={"discussion-subject": "Margins"})
    shared, internal = db.session.scalars(select(Discussion).order_by(Discussion.id)).all()
    assert response.headers["Location"].endswith(f"/admin/discussions/{shared.id}")
    assert shared.visible_to_customer and not internal.visible_to_customer
    assert outbox() == []  # starting a discussion emails nobody; comments do

    admin_client.post(f"/admin/discussions/{shared.id}/comments", data={"body": "Anthracite or white?"})
    admin_client.post(f"/admin/discussions/{shared.id}/comments", data={"body": "Anthracite or white?"})
    admin_client.post(f"/admin/discussions/{internal.id}/comments", data={"body": "Keep it cheap."})
    assert count(DiscussionComment) == 2
    assert outbox() == emails("project_discussion", PROJECT_FANS)
    body = admin_client.get(f"/admin/discussions/{shared.id}").get_data(as_text=True)
    assert "Anthracite or white?" in body and "Visible to the customer" in body


def test_project_page_shows_every_section(admin_client, acme):
    body = admin_client.get(f"/admin/projects/{acme.id}").get_data(as_text=True)
    for anchor in ("settings", "tasks", "milestones", "files", "discussions"):
        assert f'id="{anchor}"' in body
    assert "Pour concrete" in body and "Cost review" in body and "Make internal" in body
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_a_failed_upload_transaction_leaves_no_bytes_behind(app, acme, f, uploads, monkeypatch):
    from werkzeug.datastructures import FileStorage

    from core.services.projects import add_project_file, collaboration

    def broken(*args, **kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(collaboration, "notify_project", broken)
    staff = f.make_staff()
    with app.test_request_context(), pytest.raises(RuntimeError):
        add_project_file(acme, FileStorage(io.BytesIO(b"data"), "plan.pdf"), author=staff)
    assert count(StoredFile) == 0
    assert list(uploads.iterdir()) == []
