"""Mail keeps flowing through what operators meet, against a real SMTP server on loopback
(aiosmtpd) that is stopped, slow, or answers 4xx/5xx."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select, update

from core.extensions import db
from core.mail.dispatch import dispatch_all, dispatch_once
from core.models import OutboxEmail, utcnow
from core.notifications.notify import notify_invoice
from tests.smtp import SmtpServer


def queue_invoice_emails(f, n: int, *, customer=None) -> list:
    customer = customer or f.make_customer("Acme")
    contacts = [
        f.make_contact(customer, email=f"c{i}@{customer.id}.example", notifications={"invoice"}) for i in range(n)
    ]
    notify_invoice("invoice_sent", f.make_invoice(customer))
    db.session.commit()
    return contacts


def make_all_due() -> None:
    db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def rows() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def status_counts() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all())


# -- a long outage never uses up a message's attempts --------------------------------------------


def test_a_long_outage_of_the_mail_server_fails_no_email(app, f):
    server = SmtpServer()  # configured, not running: every connection is refused
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=2)
    queue_invoice_emails(f, 3)
    for _ in range(app.config["MAIL_MAX_ATTEMPTS"] + 2):  # longer than all attempts' backoffs
        make_all_due()
        result = dispatch_all()
        assert result.failed == 0 and result.released == 3 and result.errors
    assert {(r.status, r.attempts) for r in rows()} == {("pending", 0)}
    assert all(r.last_error.startswith("Mail server unavailable") for r in rows())

    server.start()
    try:
        make_all_due()
        assert dispatch_all().sent == 3
        assert len(server.messages) == 3
    finally:
        server.stop()
    assert {r.status for r in rows()} == {"sent"}


def test_a_421_answer_is_an_outage_not_the_messages_fault(app, f, smtp):
    queue_invoice_emails(f, 3)
    smtp.handler.refuse_all = "421 4.3.2 Service shutting down"
    result = dispatch_all()
    assert (result.sent, result.failed, result.retried) == (0, 0, 0) and result.errors
    assert {(r.status, r.attempts) for r in rows()} == {("pending", 0)}
    smtp.handler.refuse_all = ""
    make_all_due()
    assert dispatch_all().sent == 3


# -- a deferred message waits alone ------------------------------------------------------------


def test_a_deferred_message_does_not_hold_up_the_rest_of_the_queue(app, f, smtp):
    app.config["MAIL_BATCH_SIZE"] = 3
    contacts = queue_invoice_emails(f, 12)
    smtp.handler.refuse[contacts[0].email] = "451 4.3.0 Try again later"
    result = dispatch_all()  # one round, as the flush and each poll of the loop run it
    assert (result.sent, result.retried) == (11, 1)
    assert status_counts() == {"sent": 11, "pending": 1}
    deferred = db.session.scalar(select(OutboxEmail).where(OutboxEmail.status == "pending"))
    assert deferred.attempts == 1 and deferred.next_attempt_at > utcnow()  # its own retry time


def test_the_dispatch_command_drains_past_a_deferral(app, f, smtp):
    app.config["MAIL_BATCH_SIZE"] = 3
    contacts = queue_invoice_emails(f, 9)
    smtp.handler.refuse[contacts[1].email] = "450 4.2.0 Mailbox busy"
    result = app.test_cli_runner().invoke(args=["mail-dispatch"])
    assert result.exit_code == 0, result.output
    assert "sent 8, failed 0, retried later 1" in result.output


# -- the server's words, not Python's ------------------------------------------------------------


def test_a_refusal_is_logged_in_the_servers_words(app, admin_client, f, smtp):
    (contact,) = queue_invoice_emails(f, 1)
    smtp.handler.refuse[contact.email] = "550 5.1.1 <nobody>: mailbox unknown"
    assert dispatch_all().failed == 1
    (row,) = rows()
    assert row.last_error == f"Recipient refused: {contact.email}: 550 5.1.1 <nobody>: mailbox unknown"
    page = admin_client.get(f"/admin/emails/{row.id}").get_data(as_text=True)
    assert "550 5.1.1 &lt;nobody&gt;: mailbox unknown" in page and "b&#39;" not in page


# -- the lease is renewed while a slow batch sends --------------------------------------------


def test_a_slow_batch_keeps_its_lease_and_no_second_dispatcher_resends_it(app, f, smtp):
    app.config.update(MAIL_LEASE_SECONDS=0.6, MAIL_BATCH_SIZE=10, MAIL_COMMIT_EVERY=20)
    smtp.handler.delay = 0.15  # ten messages take 1.5 s: more than twice the lease
    queue_invoice_emails(f, 10)
    first, errors = [], []

    def first_dispatcher():
        try:
            with app.app_context():
                first.append(dispatch_once())
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=first_dispatcher)
    thread.start()
    while len(smtp.messages) < 6 and thread.is_alive():  # past the lease, mid-batch
        time.sleep(0.02)
    second = dispatch_once()
    thread.join(timeout=30)
    assert not errors, errors
    assert second.handled == 0 and first[0].sent == 10
    assert set(Counter(message["Message-ID"] for _, message in smtp.messages).values()) == {1}
    assert status_counts() == {"sent": 10}


# -- the flush after a request: its own emails, within its time ---------------------------------


def test_the_flush_after_a_request_sends_only_that_requests_emails(app, admin_client, f, smtp):
    backlog = queue_invoice_emails(f, 20, customer=f.make_customer("Backlog"))  # due, undelivered
    customer = f.make_customer("Now")
    contact = f.make_contact(customer, email="now@example.com", notifications={"invoice"})
    invoice = f.make_invoice(customer)
    response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [contact.id]})
    assert response.status_code == 302
    assert [rcpts for rcpts, _ in smtp.messages] == [["now@example.com"]]
    assert status_counts() == {"sent": 1, "pending": len(backlog)}


def test_the_flush_after_a_request_stops_within_its_time_and_leaves_nothing_sending(app, admin_client, f, smtp):
    # 1.2 s for six messages at 0.3 s each: room for the first even on a loaded machine, never all six.
    app.config["MAIL_FLUSH_SECONDS"] = 1.2
    smtp.handler.delay = 0.3  # a slow mail server
    customer = f.make_customer("Acme")
    contacts = [f.make_contact(customer, email=f"c{i}@acme.example", notifications={"invoice"}) for i in range(6)]
    invoice = f.make_invoice(customer)
    response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [c.id for c in contacts]})
    assert response.status_code == 302  # the action is done, whatever the mail server does
    counts = status_counts()
    assert "sending" not in counts and counts.get("failed", 0) == 0
    assert 1 <= counts.get("sent", 0) <= 5 and counts["pending"] == 6 - counts["sent"]
    assert {r.attempts for r in rows() if r.status == "pending"} == {0}
    smtp.handler.delay = 0
    assert dispatch_all().sent == counts["pending"]  # the dispatcher sends the rest


def test_the_flush_after_a_reset_request_sends_the_reset_email(app, client, f, smtp):
    contact = f.make_contact(email="forgetful@example.com")
    queue_invoice_emails(f, 3, customer=f.make_customer("Backlog"))
    response = client.post("/forgot-password", data={"email": contact.email})
    assert response.status_code == 302
    assert [rcpts for rcpts, _ in smtp.messages] == [["forgetful@example.com"]]
    assert smtp.messages[0][1]["Subject"] and status_counts()["pending"] == 3
