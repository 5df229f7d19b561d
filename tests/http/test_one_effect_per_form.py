"""Every form whose effect is an email or a record has one effect however often it is posted.

Each test loads the page as a person would, takes the form's one-time key from it and posts the
form twice with it (a double click): the second post changes nothing, sends nothing and is sent
where the first one went. A fresh rendering of the page gives a new key, so doing the same thing
again on purpose still works.
"""

from __future__ import annotations

import io
import re
import threading

import pyotp
import pytest
from sqlalchemy import event, func, select

from core.catalogs import NOTIFICATION_KEYS, PROJECT_SETTING_KEYS
from core.extensions import db
from core.models import (
    AuditEntry,
    Contact,
    DiscussionComment,
    FormSubmission,
    OutboxEmail,
    Payment,
    PaymentAttempt,
    ProposalComment,
    StoredFile,
    Task,
    TaskComment,
    TicketReply,
)
from core.services.projects.lifecycle import set_project_settings
from core.submissions import FIELD
from tests.conftest import login
from tests.factories import PASSWORD
from tests.http.helpers.card_payments import payer

ALREADY = "This form was already sent, so nothing was done again."


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def emails() -> int:
    return count(OutboxEmail)


def form_key(client, page: str, action: str) -> str:
    """The one-time key of the form on ``page`` that posts to ``action``."""
    html = client.get(page).get_data(as_text=True)
    for match in re.finditer(r"<form\b[^>]*>", html):
        tag = match.group(0)
        target = re.search(r'action="([^"]*)"', tag)
        if (target.group(1) if target else page) in (action, ""):
            key = re.match(rf'\s*<input type="hidden" name="{FIELD}" value="([^"]+)">', html[match.end() :])
            assert key, f"the form posting to {action} on {page} carries a one-time key"
            return key.group(1)
    raise AssertionError(f"no form posting to {action} on {page}")


def post_twice(client, page: str, action: str, data) -> tuple:
    """Post the form on ``page`` twice with the same key; ``data`` is a dict or a function making one."""
    key = form_key(client, page, action)
    make = data if callable(data) else (lambda: dict(data))
    first = client.post(action, data={**make(), FIELD: key})
    second = client.post(action, data={**make(), FIELD: key})
    return first, second


def assert_second_changed_nothing(client, first, second) -> None:
    assert first.status_code == 302, first.get_data(as_text=True)[:2000]
    assert second.status_code == 302
    assert second.location == first.location, "the repeat is sent where the first post went"
    assert ALREADY in client.get(second.location).get_data(as_text=True)


@pytest.fixture
def acme(f):
    customer = f.make_customer("Acme")
    anna = f.make_contact(customer, email="anna@acme.example", notifications=NOTIFICATION_KEYS)
    anna.is_primary = True
    db.session.commit()
    return customer, anna


# -- admin -----------------------------------------------------------------------------------------


def test_send_dialog_double_click_emails_once(admin_client, f, acme):
    customer, anna = acme
    invoice = f.make_invoice(customer)
    url = f"/admin/invoices/{invoice.id}/send"
    before = emails()
    first, second = post_twice(admin_client, url, url, {"recipients": [anna.id], "attach_pdf": "y"})
    assert_second_changed_nothing(admin_client, first, second)
    assert emails() - before == 1
    # Sending again on purpose (a new rendering of the dialog) sends again.
    first, _ = post_twice(admin_client, url, url, {"recipients": [anna.id]})
    assert emails() - before == 2


def test_record_payment_twice_books_one_payment(admin_client, f, acme):
    invoice = f.make_invoice(acme[0])
    action = f"/admin/invoices/{invoice.id}/payments"
    data = {"amount": "10.00", "paid_on": "2026-11-30", "method": "bank"}
    first, second = post_twice(admin_client, f"/admin/invoices/{invoice.id}", action, data)
    assert_second_changed_nothing(admin_client, first, second)
    assert count(Payment) == 1


def test_add_task_twice_adds_one_task_and_one_email(admin_client, f, acme):
    project = f.make_project(acme[0])
    tasks, sent = count(Task), emails()
    action = f"/admin/projects/{project.id}/tasks"
    data = {"task-name": "Pour concrete", "task-visible_to_customer": "y"}
    first, second = post_twice(admin_client, f"/admin/projects/{project.id}", action, data)
    assert_second_changed_nothing(admin_client, first, second)
    assert count(Task) == tasks + 1
    assert emails() - sent <= 1


def test_admin_upload_twice_stores_one_file(admin_client, f, acme, tmp_path, app):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    project = f.make_project(acme[0])
    action = f"/admin/projects/{project.id}/files"

    def data():
        return {"file-file": (io.BytesIO(b"%PDF plan"), "plan.pdf"), "file-visible_to_customer": "y"}

    first, second = post_twice(admin_client, f"/admin/projects/{project.id}", action, data)
    assert_second_changed_nothing(admin_client, first, second)
    assert count(StoredFile) == 1
    assert len(list(tmp_path.rglob("*"))) == len([p for p in tmp_path.rglob("*") if p.is_dir()]) + 1


def test_admin_task_comment_twice_adds_one_comment(admin_client, f, acme):
    project = f.make_project(acme[0], tasks=[("Pour concrete", True)])
    task = project.tasks[0]
    action = f"/admin/tasks/{task.id}/comments"
    first, second = post_twice(admin_client, f"/admin/tasks/{task.id}", action, {"body": "Booked."})
    assert_second_changed_nothing(admin_client, first, second)
    assert count(TaskComment) == 1


def test_admin_proposal_comment_twice_adds_one_comment(admin_client, f, acme):
    proposal = f.make_proposal(acme[0])
    action = f"/admin/proposals/{proposal.id}/comments"
    first, second = post_twice(admin_client, f"/admin/proposals/{proposal.id}", action, {"body": "Updated."})
    assert_second_changed_nothing(admin_client, first, second)
    assert count(ProposalComment) == 1


def test_ticket_status_change_twice_is_one_change(admin_client, f, acme):
    ticket = f.make_ticket(acme[0], acme[1])
    action = f"/admin/tickets/{ticket.id}/status"
    sent = emails()
    first, second = post_twice(admin_client, f"/admin/tickets/{ticket.id}", action, {"status": "answered"})
    assert_second_changed_nothing(admin_client, first, second)
    assert count(AuditEntry, AuditEntry.action == "ticket.status_changed") == 1
    assert emails() - sent <= 1


def test_staff_ticket_reply_twice_sends_one_reply(admin_client, f, acme):
    ticket = f.make_ticket(acme[0], acme[1])
    url = f"/admin/tickets/{ticket.id}"
    replies, sent = count(TicketReply), emails()
    first, second = post_twice(admin_client, url, url, {"body": "On it."})
    assert_second_changed_nothing(admin_client, first, second)
    assert count(TicketReply) == replies + 1
    assert emails() - sent == 1


# -- customer area ---------------------------------------------------------------------------------


def test_portal_ticket_reply_twice_adds_one_reply(client, f, acme):
    customer, anna = acme
    ticket = f.make_ticket(customer, anna)
    login(client, anna)
    replies = count(TicketReply)
    first, second = post_twice(client, f"/tickets/{ticket.id}", f"/tickets/{ticket.id}/reply", {"message": "Thanks"})
    assert_second_changed_nothing(client, first, second)
    assert count(TicketReply) == replies + 1


def test_portal_task_comment_and_upload_twice_have_one_effect(client, f, acme, tmp_path, app):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    customer, anna = acme
    project = f.make_project(customer, tasks=[("Pour concrete", True)])
    set_project_settings(project, set(PROJECT_SETTING_KEYS))
    db.session.commit()
    task = project.tasks[0]
    login(client, anna)

    page = f"/projects/{project.id}/tasks/{task.id}"
    first, second = post_twice(client, page, f"{page}/comments", {"body": "Looks good"})
    assert_second_changed_nothing(client, first, second)
    assert count(TaskComment) == 1

    def data():
        return {"file": (io.BytesIO(b"%PDF plan"), "plan.pdf")}

    files = f"/projects/{project.id}/files"
    first, second = post_twice(client, files, files, data)
    assert_second_changed_nothing(client, first, second)
    assert count(StoredFile) == 1


def test_portal_discussion_comment_twice_adds_one_comment(client, f, acme):
    from core.models import Discussion

    customer, anna = acme
    project = f.make_project(customer)
    set_project_settings(project, set(PROJECT_SETTING_KEYS))
    discussion = Discussion(project_id=project.id, subject="Facade colour")
    db.session.add(discussion)
    db.session.commit()
    login(client, anna)
    page = f"/projects/{project.id}/discussions/{discussion.id}"
    first, second = post_twice(client, page, f"{page}/comments", {"body": "Blue"})
    assert_second_changed_nothing(client, first, second)
    assert count(DiscussionComment) == 1


def test_invite_colleague_twice_invites_once(client, f, acme):
    from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings

    customer, anna = acme
    set_settings({PRIMARY_MANAGES_CONTACTS: "1"})
    login(client, anna)
    sent = emails()
    data = {"first_name": "Carl", "last_name": "New", "email": "carl@acme.example"}
    page = "/company/contacts/new"
    first, second = post_twice(client, page, page, data)
    assert_second_changed_nothing(client, first, second)
    assert count(Contact, Contact.email == "carl@acme.example") == 1
    assert emails() - sent == 1


# -- rules of the mechanism ------------------------------------------------------------------------


def test_a_refused_post_leaves_the_key_for_the_corrected_form(admin_client, f, acme):
    invoice = f.make_invoice(acme[0])
    action = f"/admin/invoices/{invoice.id}/payments"
    key = form_key(admin_client, f"/admin/invoices/{invoice.id}", action)
    admin_client.post(action, data={"amount": "abc", "paid_on": "2026-11-30", FIELD: key})
    assert count(Payment) == 0
    response = admin_client.post(action, data={"amount": "5.00", "paid_on": "2026-11-30", FIELD: key})
    assert response.status_code == 302 and count(Payment) == 1


@pytest.mark.parametrize("key", ["short", "x" * 65, "bad key with spaces!!", "<script>alert(1)</script>xxxx"])
def test_a_malformed_key_is_a_bad_request_that_changes_nothing(admin_client, f, acme, key):
    invoice = f.make_invoice(acme[0])
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/payments", data={"amount": "5.00", "paid_on": "2026-11-30", FIELD: key}
    )
    assert response.status_code == 400
    assert count(Payment) == 0


def test_concurrent_double_posts_have_one_effect(app, f, acme):
    """Two posts of one form at the same moment: the second waits for the first, then changes nothing."""
    f.make_staff(email="boss2@example.com")
    customer, anna = acme
    invoice = f.make_invoice(customer)
    url = f"/admin/invoices/{invoice.id}/send"
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        assert c.post("/admin/login", data={"email": "boss2@example.com", "password": PASSWORD}).status_code == 302
    key = form_key(clients[0], url, url)
    before = emails()
    barrier = threading.Barrier(2)
    results = []

    def post(c):
        barrier.wait()
        with app.app_context():
            results.append(c.post(url, data={"recipients": [anna.id], FIELD: key}).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [302, 302]
    assert emails() - before == 1


class HeldFirstPost:
    """Two real posts of one key, in two threads, in the order that used to go wrong: the first
    post's view has committed (key and effect), and it is held there, before ``remember_result``
    stores its redirect, until the second post has been refused and has looked the key up."""

    def __init__(self, app):
        self.first_committed, self.second_looked = threading.Event(), threading.Event()

        # Registered after ``remember_result``, so Flask runs it before: between the two.
        @app.after_request
        def hold_the_first_post(response):
            if threading.current_thread().name == "first post":
                self.first_committed.set()
                self.second_looked.wait(15)
            return response

    def _note_look(self, conn, cursor, statement, parameters, context, executemany):
        looking = statement.lstrip().upper().startswith("SELECT") and "result_url" in statement
        if threading.current_thread().name == "second post" and looking and "form_submissions" in statement:
            self.second_looked.set()

    def post_twice(self, app, clients, url: str, data: dict) -> tuple:
        """(first, second) responses of ``clients[0]`` and ``clients[1]`` posting ``data`` to ``url``."""
        results = {}

        def post(name, c):
            with app.app_context():
                results[name] = c.post(url, data=data)

        first = threading.Thread(target=post, args=("first", clients[0]), name="first post")
        second = threading.Thread(target=post, args=("second", clients[1]), name="second post")
        event.listen(db.engine, "before_cursor_execute", self._note_look)
        try:
            first.start()
            assert self.first_committed.wait(15), "the first post committed"
            second.start()
            second.join(30)
            first.join(30)
        finally:
            event.remove(db.engine, "before_cursor_execute", self._note_look)
        return results["first"], results["second"]


@pytest.fixture
def held_first_post(app):
    """A ``HeldFirstPost`` (its hook is registered before the test's first request, as Flask asks)."""
    return HeldFirstPost(app)


def test_a_repeat_refused_before_the_first_post_is_remembered_waits_and_goes_where_it_went(
    app, f, acme, held_first_post
):
    """The double-clicked form whose second post is refused before the first one's redirect is
    stored: it waits for that redirect instead of landing elsewhere."""
    f.make_staff(email="boss2@example.com")
    invoice = f.make_invoice(acme[0])
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        assert c.post("/admin/login", data={"email": "boss2@example.com", "password": PASSWORD}).status_code == 302
    action = f"/admin/invoices/{invoice.id}/payments"
    key = form_key(clients[0], f"/admin/invoices/{invoice.id}", action)
    data = {"amount": "10.00", "paid_on": "2026-11-30", "method": "bank", FIELD: key}
    first, second = held_first_post.post_twice(app, clients, action, data)
    assert first.status_code == 302 and first.location == f"/admin/invoices/{invoice.id}"
    assert second.status_code == 302 and second.location == first.location
    assert ALREADY in clients[1].get(second.location).get_data(as_text=True)
    assert count(Payment) == 1


def test_a_double_clicked_pay_now_lands_both_clicks_on_the_card_page(app, f, client, stripe_on, held_first_post):
    """Issue: a double-clicked "Pay now" could land on the invoice saying "already sent"."""
    me, invoice = payer(f, client)
    other_tab = app.test_client()
    login(other_tab, me)
    action = f"/invoices/{invoice.id}/pay"
    key = form_key(client, f"/invoices/{invoice.id}", action)
    first, second = held_first_post.post_twice(app, [client, other_tab], action, {FIELD: key})
    assert first.location == f"/invoices/{invoice.id}/pay/card"
    assert second.location == first.location
    assert count(PaymentAttempt) == 1


def test_an_answer_without_a_redirect_is_remembered_as_such(admin_client):
    """Turning two-factor login on answers with a page (the recovery codes), not a redirect: its
    outcome is stored as "" so that a repeat does not wait for a redirect that never comes."""
    url = "/admin/account/two-factor"
    page = admin_client.get(url).get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    key = form_key(admin_client, url, url)
    done = admin_client.post(url, data={"enable-code": pyotp.TOTP(secret).now(), FIELD: key})
    assert done.status_code == 200 and "recovery codes" in done.get_data(as_text=True).lower()
    assert db.session.scalar(select(FormSubmission.result_url).where(FormSubmission.token == key)) == ""
    again = admin_client.post(url, data={"enable-code": pyotp.TOTP(secret).now(), FIELD: key})
    assert again.status_code == 302
