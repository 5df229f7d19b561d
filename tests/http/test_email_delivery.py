"""Delivery over a real SMTP server on loopback (aiosmtpd): nothing lost, nothing doubled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from core.extensions import db
from core.mail.dispatch import dispatch_all, dispatch_once
from core.models import OutboxEmail, utcnow
from core.notifications.notify import notify_invoice
from tests.factories import contact_data
from tests.smtp import SmtpServer


def invoice_with_contacts(f, n=2, toggles=("invoice",)):
    customer = f.make_customer("Acme")
    contacts = [f.make_contact(customer, email=f"c{i}@acme.example", notifications=set(toggles)) for i in range(n)]
    return customer, contacts, f.make_invoice(customer, number="INV-1")


def make_all_due() -> None:
    db.session.execute(update(OutboxEmail).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def statuses() -> dict[str, str]:
    return dict(db.session.execute(select(OutboxEmail.to_address, OutboxEmail.status)).all())


def test_send_dialog_delivers_to_every_selected_contact_with_link_pdf_and_headers(app, admin_client, f, smtp):
    customer, (preselected, other), invoice = invoice_with_contacts(f, toggles=())
    from core.services.contacts import update_contact

    update_contact(preselected, contact_data(preselected, is_primary=True, notifications={"invoice"}))
    page = admin_client.get(f"/admin/invoices/{invoice.id}/send").get_data(as_text=True)
    assert (
        f'checked class="form-check-input" id="recipients-0" name="recipients" type="checkbox" value="{preselected.id}"'
        in page
    )
    assert f'value="{other.id}"' in page and 'checked class="form-check-input" id="recipients-1"' not in page

    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/send",
        data={"recipients": [preselected.id, other.id], "cc": "boss@acme.example", "attach_pdf": "y"},
    )
    assert response.status_code == 302
    assert sorted(smtp.handler.messages[i][0][0] for i in range(len(smtp.messages))) == sorted(
        [preselected.email, other.email]
    )
    for contact in (preselected, other):
        (message,) = smtp.to(contact.email)
        assert message["Subject"] == "Invoice INV-1 from Northwind Services"
        # Neither carries an unsubscribe link: ``other`` does not receive invoice emails, and
        # the preselected contact's message is copied to the CC address (test_send_preview.py).
        assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
        row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.to_address == contact.email))
        assert message["Message-ID"] == row.message_id and row.status == "sent"
        text = message.get_body(("plain",)).get_content()
        assert f"{app.config['PUBLIC_BASE_URL']}/invoices/{invoice.id}" in text
        attachments = [part.get_filename() for part in message.iter_attachments()]
        assert attachments == ["invoice-INV-1.pdf"]
    # CC goes out once, with the first recipient only.
    assert sum("boss@acme.example" in rcpts for rcpts, _ in smtp.messages) == 1


def test_send_dialog_refuses_contacts_of_other_customers_whatever_is_posted(admin_client, f, smtp):
    _, (mine,), invoice = invoice_with_contacts(f, n=1)
    stranger = f.make_contact(f.make_customer("Other"), notifications={"invoice"})
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/send", data={"recipients": [mine.id, stranger.id]}, follow_redirects=True
    )
    assert "Recipients must be active contacts of this customer." in response.get_data(as_text=True)
    assert smtp.messages == [] and db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    for bad in (["abc"], ["99999999999999"], []):
        response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": bad})
        assert response.status_code == 200
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_dialog_says_so_when_no_contact_qualifies(admin_client, f):
    _, _, invoice = invoice_with_contacts(f, toggles=())
    page = admin_client.get(f"/admin/invoices/{invoice.id}/send").get_data(as_text=True)
    assert "Nobody at Acme receives Invoice emails automatically." in page


def test_server_down_then_up_delivers_every_email_exactly_once(app, admin_client, f):
    server = SmtpServer()  # configured, but not running yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=2)
    _, contacts, invoice = invoice_with_contacts(f, n=3)
    response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [c.id for c in contacts]})
    assert response.status_code == 302  # the action succeeds although SMTP is down
    rows = db.session.scalars(select(OutboxEmail)).all()
    # An outage is not the messages' fault: put back untouched, with a note for the log.
    assert {r.status for r in rows} == {"pending"} and all(r.attempts == 0 for r in rows)
    assert all("Mail server unavailable" in r.last_error for r in rows)
    assert dispatch_once().handled == 0  # still down: nothing sent, nothing failed

    server.start()
    try:
        make_all_due()
        result = dispatch_all()
        assert result.sent == 3
        make_all_due()
        assert dispatch_all().handled == 0  # nothing is sent twice
        assert sorted(r[0][0] for r in server.messages) == sorted(c.email for c in contacts)
    finally:
        server.stop()
    db.session.expire_all()
    assert set(statuses().values()) == {"sent"}


def test_permanent_failure_fails_that_row_only(f, smtp):
    _, contacts, invoice = invoice_with_contacts(f, n=3)
    smtp.handler.refuse[contacts[1].email] = "550 5.1.1 No such user"
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    result = dispatch_all()
    assert (result.sent, result.failed) == (2, 1)
    db.session.expire_all()
    assert statuses() == {contacts[0].email: "sent", contacts[1].email: "failed", contacts[2].email: "sent"}
    failed = db.session.scalar(select(OutboxEmail).where(OutboxEmail.status == "failed"))
    assert "550" in failed.last_error


def test_temporary_refusal_is_retried_later(f, smtp):
    _, (contact,), invoice = invoice_with_contacts(f, n=1)
    smtp.handler.refuse[contact.email] = "451 4.3.0 Try again later"
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    assert dispatch_all().retried == 1
    db.session.expire_all()
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == "pending" and row.next_attempt_at > utcnow()
    del smtp.handler.refuse[contact.email]
    make_all_due()
    assert dispatch_all().sent == 1
    assert len(smtp.to(contact.email)) == 1


def test_rolled_back_change_sends_nothing(f, smtp):
    _, contacts, invoice = invoice_with_contacts(f, n=2)
    notify_invoice("invoice_sent", invoice)
    invoice.status = "paid"
    db.session.rollback()  # the change failed: its emails must vanish with it
    assert dispatch_all().handled == 0
    assert smtp.messages == []
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_without_mail_server_emails_are_stored_and_readable(app, admin_client, f):
    app.config["MAIL_SERVER"] = None
    _, (contact,), invoice = invoice_with_contacts(f, n=1)
    admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [contact.id]})
    row = db.session.scalar(select(OutboxEmail))
    assert row.status == "logged"
    log = admin_client.get(f"/admin/emails?contact_id={contact.id}").get_data(as_text=True)
    assert "Invoice INV-1 from Northwind Services" in log
    detail = admin_client.get(f"/admin/emails/{row.id}").get_data(as_text=True)
    assert f"/invoices/{invoice.id}" in detail
    html = admin_client.get(f"/admin/emails/{row.id}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"] and b"View invoice INV-1" in html.data


def test_a_crashed_dispatchers_rows_are_reclaimed_after_the_lease(f, smtp):
    _, (contact,), invoice = invoice_with_contacts(f, n=1)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    db.session.execute(update(OutboxEmail).values(status="sending", claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert dispatch_all().sent == 1
    assert len(smtp.to(contact.email)) == 1


def test_dispatch_cli_sends_once_and_reports(app, f, smtp):
    _, contacts, invoice = invoice_with_contacts(f, n=2)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail-dispatch"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    assert len(smtp.messages) == 2


def test_delivery_log_per_customer_and_contact(admin_client, f):
    _, (first, second), invoice = invoice_with_contacts(f, n=2)
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    page = admin_client.get(f"/admin/emails?contact_id={first.id}").get_data(as_text=True)
    assert first.email in page and second.email not in page
    page = admin_client.get(f"/admin/emails?customer_id={invoice.customer_id}").get_data(as_text=True)
    assert first.email in page and second.email in page
    assert admin_client.get("/admin/emails?customer_id=abc&status=bogus&page=-4").status_code == 200
