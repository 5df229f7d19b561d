"""Failed emails can be sent again: one, the email log's filter, or all; from the log and the
command line; audited; a real SMTP server on loopback delivers them with their Message-ID."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.extensions import db
from core.mail.dispatch import dispatch_all
from core.models import AuditEntry, OutboxEmail
from core.notifications.notify import notify_invoice


def failed_emails(f, smtp, customer_name: str, n: int) -> list[OutboxEmail]:
    """``n`` emails to a customer's contacts that the server refused for good (550)."""
    customer = f.make_customer(customer_name)
    contacts = [
        f.make_contact(customer, email=f"c{i}@{customer_name.lower()}.example", notifications={"invoice"})
        for i in range(n)
    ]
    for contact in contacts:
        smtp.handler.refuse[contact.email] = "550 5.1.1 No such user"
    notify_invoice("invoice_sent", f.make_invoice(customer))
    db.session.commit()
    dispatch_all()
    for contact in contacts:
        del smtp.handler.refuse[contact.email]
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.customer_id == customer.id)).all()
    assert {e.status for e in emails} == {"failed"}
    return emails


def states(emails) -> set[tuple[str, int]]:
    db.session.expire_all()
    return {(db.session.get(OutboxEmail, e.id).status, db.session.get(OutboxEmail, e.id).attempts) for e in emails}


def resend_entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "email.resend")))


def test_one_failed_email_is_resent_from_its_log_page(admin_client, f, smtp):
    first, second = failed_emails(f, smtp, "Acme", 2)
    page = admin_client.get(f"/admin/emails/{first.id}").get_data(as_text=True)
    assert "Resend this email" in page and "550 5.1.1 No such user" in page
    response = admin_client.post(f"/admin/emails/{first.id}/resend", follow_redirects=True)
    assert response.status_code == 200 and "The email is queued again." in response.get_data(as_text=True)
    assert states([first]) == {("pending", 0)} and states([second]) == {("failed", 1)}
    (entry,) = resend_entries()
    assert entry.actor_type == "staff" and entry.customer_id == first.customer_id
    assert json.loads(entry.details)["ids"] == [first.id] and json.loads(entry.details)["via"] == "email log"

    assert dispatch_all().sent == 1
    (message,) = [m for rcpts, m in smtp.messages if rcpts == [first.to_address]]
    assert message["Message-ID"] == first.message_id
    # Resending an email that is not failed changes nothing and says so.
    response = admin_client.post(f"/admin/emails/{first.id}/resend", follow_redirects=True)
    assert "Only a failed email can be resent." in response.get_data(as_text=True)
    assert len(resend_entries()) == 1
    assert admin_client.post("/admin/emails/99999999/resend").status_code == 404


def test_the_log_resends_the_failed_emails_of_its_filter_or_all(admin_client, f, smtp):
    acme = failed_emails(f, smtp, "Acme", 2)
    other = failed_emails(f, smtp, "Other", 3)
    customer_id = acme[0].customer_id
    page = admin_client.get(f"/admin/emails?customer_id={customer_id}").get_data(as_text=True)
    assert "Resend 2 failed emails" in page and "Resend all 5 failed emails" in page

    response = admin_client.post("/admin/emails/resend", data={"customer_id": customer_id})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/emails?customer_id={customer_id}"
    assert states(acme) == {("pending", 0)} and states(other) == {("failed", 1)}

    response = admin_client.post("/admin/emails/resend", data={"scope": "all"}, follow_redirects=True)
    assert "3 failed emails queued again." in response.get_data(as_text=True)
    assert states(other) == {("pending", 0)}
    assert [json.loads(e.details)["count"] for e in resend_entries()] == [2, 3]
    assert dispatch_all().sent == 5

    response = admin_client.post("/admin/emails/resend", data={"scope": "all"}, follow_redirects=True)
    assert "No failed emails to resend." in response.get_data(as_text=True)


def test_a_malformed_filter_resends_nothing_and_says_so(admin_client, f, smtp):
    emails = failed_emails(f, smtp, "Acme", 1)
    for bad in ({"customer_id": "abc"}, {"contact_id": "-1"}, {"customer_id": "9" * 12}):
        response = admin_client.post("/admin/emails/resend", data=bad, follow_redirects=True)
        assert response.status_code == 200
        assert "That filter is not valid; nothing was resent." in response.get_data(as_text=True)
    assert states(emails) == {("failed", 1)} and resend_entries() == []


def test_the_resend_command_takes_one_a_filter_or_all_and_is_audited(app, f, smtp):
    acme = failed_emails(f, smtp, "Acme", 2)
    other = failed_emails(f, smtp, "Other", 2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail-resend"])
    assert result.exit_code == 2 and "Say which failed emails" in result.output
    result = runner.invoke(args=["mail-resend", "--all", "--id", str(acme[0].id)])
    assert result.exit_code == 2

    result = runner.invoke(args=["mail-resend", "--id", str(acme[0].id)])
    assert result.exit_code == 0 and "Queued 1 failed email(s) again" in result.output
    assert states(acme[:1]) == {("pending", 0)} and states(acme[1:]) == {("failed", 1)}
    result = runner.invoke(args=["mail-resend", "--contact-id", str(other[0].contact_id)])
    assert "Queued 1 failed email(s) again" in result.output
    result = runner.invoke(args=["mail-resend", "--all"])
    assert "Queued 2 failed email(s) again" in result.output
    assert states([*acme, *other]) == {("pending", 0)}
    entries = resend_entries()
    assert [json.loads(e.details)["via"] for e in entries] == ["command line"] * 3
    assert {e.actor_type for e in entries} == {"system"}
    assert dispatch_all().sent == 4
