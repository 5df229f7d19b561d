"""Every staff form whose save emails the customer names, before saving, who will be emailed
(the recipient rule's contacts), and lets staff skip that email for one save (issue 16).

For each form: the page names exactly the contacts the rule picks for that form's email; posting
it as shown queues the email to exactly them; posting it with "Don't email the customer about
this" ticked saves the change and queues nothing; at a customer where nobody receives that
email the form says so and offers no checkbox.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from core.catalogs import NOTIFICATION_KEYS, PERMISSION_KEYS
from core.extensions import db
from core.models import (
    AuditEntry,
    Contact,
    ContactPermission,
    Discussion,
    DiscussionComment,
    OutboxEmail,
    Payment,
    Project,
    StoredFile,
    Task,
    TaskComment,
    TicketReply,
)
from core.services.projects import set_project_settings
from tests.conftest import count, text

pytestmark = pytest.mark.usefixtures("uploads")

NOBODY = "Nobody receives these emails at {company} (notification off or no permission), so no email is sent."
SKIP_LABEL = "Don't email the customer about this"


@dataclass
class World:
    """One customer's project (a visible task, a visible discussion), invoice and ticket."""

    customer_id: int
    project: Project
    task: Task
    discussion: Discussion
    invoice_id: int
    ticket_id: int


def make_world(f, company: str, people: list[tuple[str, str, set[str], set[str]]]) -> World:
    """``people``: (first, last, permissions, notifications); the first one opens the ticket."""
    customer = f.make_customer(company)
    contacts = [
        f.make_contact(customer, first_name=first, last_name=last, permissions=PERMISSION_KEYS, notifications=toggles)
        for first, last, _permissions, toggles in people
    ]
    # Permissions taken away after the toggles were set (the contact form would refuse the
    # combination): the toggle stays on, and the rule must still leave the contact out.
    for contact, (_first, _last, permissions, _toggles) in zip(contacts, people, strict=True):
        contact.permission_rows = [ContactPermission(permission=p) for p in sorted(permissions)]
    project = f.make_project(customer, name="Tower", tasks=[("Pour concrete", True)])
    discussion = Discussion(project_id=project.id, subject="Colours", visible_to_customer=True)
    db.session.add(discussion)
    db.session.commit()
    invoice = f.make_invoice(customer)
    ticket = f.make_ticket(customer, contacts[0])
    return World(customer.id, project, project.tasks[0], discussion, invoice.id, ticket.id)


EVERYTHING = set(PERMISSION_KEYS)


@pytest.fixture
def acme(f) -> World:
    return make_world(
        f,
        "Acme",
        [
            ("Anna", "Schmidt", EVERYTHING, set(NOTIFICATION_KEYS)),
            ("Ben", "Ortiz", EVERYTHING, {"task", "project", "invoice"}),
            ("Carl", "Quiet", EVERYTHING, set()),  # every toggle off
            ("Dora", "Support", {"support"}, set(NOTIFICATION_KEYS)),  # toggles on, no permission
            ("Eve", "Ledger", EVERYTHING, {"invoice"}),
            ("Finn", "Tasks", EVERYTHING, {"task"}),
        ],
    )


@pytest.fixture
def quiet(f) -> World:
    """A customer nobody at whom receives any email."""
    return make_world(
        f,
        "Quiet Co",
        [("Quinn", "Off", EVERYTHING, set()), ("Rita", "Noperm", set(), set())],
    )


@dataclass(frozen=True)
class StaffForm:
    key: str
    event: str
    page: Callable[[World], str]
    action: Callable[[World], str]
    data: Callable[[World], dict]
    skip: str  # the skip checkbox's field name
    done: Callable[[World], bool]  # the change was saved
    acme_names: tuple[str, ...]  # whom the rule picks at Acme, in its order


def _task_names(w: World) -> list[str]:
    return list(db.session.scalars(select(Task.name).where(Task.project_id == w.project.id)))


PROJECT_PEOPLE = ("Anna Schmidt", "Ben Ortiz")
TASK_PEOPLE = ("Anna Schmidt", "Ben Ortiz", "Finn Tasks")

FORMS = [
    StaffForm(
        "add-task",
        "task_created",
        lambda w: f"/admin/projects/{w.project.id}",
        lambda w: f"/admin/projects/{w.project.id}/tasks",
        lambda w: {"task-name": "Lay bricks", "task-visible_to_customer": "y"},
        "task-skip_email",
        lambda w: "Lay bricks" in _task_names(w),
        TASK_PEOPLE,
    ),
    StaffForm(
        "task-status",
        "task_status_changed",
        lambda w: f"/admin/projects/{w.project.id}",
        lambda w: f"/admin/tasks/{w.task.id}/status",
        lambda w: {"status": "complete"},
        "skip_email",
        lambda w: db.session.get(Task, w.task.id).status == "complete",
        TASK_PEOPLE,
    ),
    StaffForm(
        "upload-file",
        "project_file_added",
        lambda w: f"/admin/projects/{w.project.id}",
        lambda w: f"/admin/projects/{w.project.id}/files",
        lambda w: {"file-file": (io.BytesIO(b"%PDF plan"), "plan.pdf"), "file-visible_to_customer": "y"},
        "file-skip_email",
        lambda w: count(StoredFile, StoredFile.project_id == w.project.id) == 1,
        PROJECT_PEOPLE,
    ),
    StaffForm(
        "record-payment",
        "payment_recorded",
        lambda w: f"/admin/invoices/{w.invoice_id}",
        lambda w: f"/admin/invoices/{w.invoice_id}/payments",
        lambda w: {"amount": "10.00", "paid_on": "2026-11-30", "method": "Bank transfer"},
        "skip_email",
        lambda w: count(Payment, Payment.invoice_id == w.invoice_id) == 1,
        ("Anna Schmidt", "Ben Ortiz", "Eve Ledger"),
    ),
    StaffForm(
        "project-status",
        "project_finished",
        lambda w: f"/admin/projects/{w.project.id}",
        lambda w: f"/admin/projects/{w.project.id}/status",
        lambda w: {"status": "finished"},
        "skip_email",
        lambda w: db.session.get(Project, w.project.id).status == "finished",
        PROJECT_PEOPLE,
    ),
    StaffForm(
        "create-project",
        "project_created",
        lambda w: f"/admin/customers/{w.customer_id}/projects/new",
        lambda w: f"/admin/customers/{w.customer_id}/projects/new",
        lambda w: {"name": "Annex"},
        "skip_email",
        lambda w: count(Project, Project.name == "Annex") == 1,
        PROJECT_PEOPLE,
    ),
    StaffForm(
        "ticket-reply",
        "ticket_staff_reply",
        lambda w: f"/admin/tickets/{w.ticket_id}",
        lambda w: f"/admin/tickets/{w.ticket_id}",
        lambda w: {"body": "Fixed it."},
        "skip_email",
        lambda w: count(TicketReply, TicketReply.body == "Fixed it.") == 1,
        ("Anna Schmidt",),  # a ticket's emails go to its own contact only
    ),
    StaffForm(
        "task-comment",
        "task_commented",
        lambda w: f"/admin/tasks/{w.task.id}",
        lambda w: f"/admin/tasks/{w.task.id}/comments",
        lambda w: {"body": "Pump truck booked."},
        "skip_email",
        lambda w: count(TaskComment, TaskComment.task_id == w.task.id) == 1,
        TASK_PEOPLE,
    ),
    StaffForm(
        "discussion-comment",
        "project_discussion",
        lambda w: f"/admin/discussions/{w.discussion.id}",
        lambda w: f"/admin/discussions/{w.discussion.id}/comments",
        lambda w: {"body": "Anthracite or white?"},
        "skip_email",
        lambda w: count(DiscussionComment, DiscussionComment.discussion_id == w.discussion.id) == 1,
        PROJECT_PEOPLE,
    ),
]
each_form = pytest.mark.parametrize("form", FORMS, ids=[form.key for form in FORMS])


def form_html(html: str, page: str, action: str) -> str:
    """The HTML of the form on the page that posts to ``action``."""
    for match in re.finditer(r"<form\b[^>]*>", html):
        target = re.search(r'action="([^"]*)"', match.group(0))
        if (target.group(1) if target else page) == action:
            return html[match.start() : html.index("</form>", match.end())]
    raise AssertionError(f"no form posting to {action} on {page}")


def named_line(names: tuple[str, ...]) -> str:
    lead = "This contact will be emailed: " if len(names) == 1 else "These contacts will be emailed: "
    return lead + ", ".join(names)


def saved(form: StaffForm, world: World) -> bool:
    db.session.expire_all()  # read what the request committed
    return form.done(world)


def queued(event: str) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.event == event)))


def addresses(names: tuple[str, ...]) -> list[str]:
    rows = db.session.execute(select(Contact.first_name, Contact.last_name, Contact.email)).all()
    by_name = {f"{first} {last}": email for first, last, email in rows}
    return sorted(by_name[name] for name in names)


@each_form
def test_the_form_names_exactly_the_contacts_the_rule_picks(admin_client, acme, form):
    page = form.page(acme)
    html = text(admin_client.get(page))
    assert named_line(form.acme_names) in html
    for name in ("Carl Quiet", "Dora Support"):  # toggle off; toggle on without the permission
        assert name not in html
    assert f'name="{form.skip}"' in form_html(html, page, form.action(acme))
    assert SKIP_LABEL in form_html(html, page, form.action(acme))


@each_form
def test_saving_as_shown_emails_exactly_the_named_contacts(admin_client, acme, form):
    response = admin_client.post(form.action(acme), data=form.data(acme))
    assert response.status_code == 302, text(response)[:2000]
    assert saved(form, acme)
    assert sorted(queued(form.event)) == addresses(form.acme_names)


@each_form
def test_skipping_saves_the_change_and_emails_nobody(admin_client, acme, form):
    response = admin_client.post(form.action(acme), data={**form.data(acme), form.skip: "y"})
    assert response.status_code == 302, text(response)[:2000]
    assert saved(form, acme)
    assert queued(form.event) == []


@each_form
def test_a_customer_nobody_at_whom_receives_it_is_told_so_without_a_checkbox(admin_client, quiet, form):
    page = form.page(quiet)
    html = text(admin_client.get(page))
    assert NOBODY.format(company="Quiet Co") in html
    assert "will be emailed" not in html
    assert f'name="{form.skip}"' not in form_html(html, page, form.action(quiet))


def test_a_skipped_file_email_is_noted_in_the_audit_entry(admin_client, acme):
    upload = next(form for form in FORMS if form.key == "upload-file")
    admin_client.post(upload.action(acme), data={**upload.data(acme), upload.skip: "y"})
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "project_file_added"))
    assert json.loads(entry.details)["customer_not_emailed"] is True


def test_each_visible_task_row_has_its_own_skip_checkbox_and_internal_rows_none(admin_client, acme):
    internal = Task(name="Check margins", visible_to_customer=False)
    acme.project.tasks.append(internal)
    db.session.commit()
    page = f"/admin/projects/{acme.project.id}"
    html = text(admin_client.get(page))
    shared_row = form_html(html, page, f"/admin/tasks/{acme.task.id}/status")
    row_box = f"task-skip-email-{acme.task.id}"
    assert f'id="{row_box}"' in shared_row and f'for="{row_box}"' in shared_row
    assert "skip_email" not in form_html(html, page, f"/admin/tasks/{internal.id}/status")


def test_tasks_hidden_on_the_project_offer_no_task_email(admin_client, acme):
    set_project_settings(acme.project, {"view_files"})
    page = f"/admin/projects/{acme.project.id}"
    html = text(admin_client.get(page))
    assert "The customer does not see tasks on this project (setting off)." in html
    assert named_line(PROJECT_PEOPLE) in html  # the files section, which the customer still sees
    assert "task-skip_email" not in form_html(html, page, f"/admin/projects/{acme.project.id}/tasks")
    assert "skip_email" not in form_html(html, page, f"/admin/tasks/{acme.task.id}/status")
