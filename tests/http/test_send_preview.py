"""Issue 16: the send dialog previews each recipient's email (its language, its name, the same
rendering as the sent email, read-only), and a contact added by hand, which does not receive the
document's notification, gets no unsubscribe link; nor does a copy sent to CC addresses."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.extensions import db
from core.mail.links import mask_single_use_links
from core.models import AuditEntry, FormSubmission, OutboxEmail
from core.services.sending import preview_document_email
from tests.conftest import login, text
from tests.http.helpers.email_links import fresh

INVOICE = DOCUMENT_KINDS_BY_KEY["invoice"]


def _acme(f):
    """Acme with a German contact (Erika, receives invoice emails) and an English one (Emma,
    Invoice notification off: added by hand), and an invoice."""
    customer = f.make_customer("Acme Bau GmbH")
    erika = f.make_contact(customer, first_name="Erika", notifications={"invoice"}, language="de")
    emma = f.make_contact(customer, first_name="Emma", notifications=set(), language="en")
    return customer, erika, emma, f.make_invoice(customer, number="INV-2026-0016")


def _preview_url(invoice, contact) -> str:
    return f"/admin/invoices/{invoice.id}/send/preview/{contact.id}"


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m)) for m in (OutboxEmail, AuditEntry, FormSubmission)
    )


# -- the preview ----------------------------------------------------------------------------------


def test_dialog_links_a_preview_for_every_recipient(admin_client, f):
    _, erika, emma, invoice = _acme(f)
    page = text(admin_client.get(f"/admin/invoices/{invoice.id}/send"))
    for contact in (erika, emma):  # the preselected one and the one staff may add by hand
        assert f'href="{_preview_url(invoice, contact)}"' in page
    assert "Preview the email to Erika" in page and "Deutsch" in page


def test_preview_is_in_each_contacts_language_with_its_name(app, admin_client, f):
    _, erika, emma, invoice = _acme(f)
    company = app.config["COMPANY_NAME"]

    german = admin_client.get(_preview_url(invoice, erika))
    assert german.status_code == 200
    page = text(german)
    assert f"Rechnung INV-2026-0016 von {company}" in page and "Hallo Erika," in page
    assert "Diese E-Mails abbestellen" in page  # she receives invoice emails
    assert erika.email in page and "Deutsch" in page
    html = admin_client.get(_preview_url(invoice, erika) + "/html")
    assert html.status_code == 200 and 'lang="de"' in text(html) and "Hallo Erika," in text(html)
    assert "sandbox" in html.headers["Content-Security-Policy"]

    page = text(admin_client.get(_preview_url(invoice, emma)))
    assert f"Invoice INV-2026-0016 from {company}" in page and "Hello Emma," in page
    assert "Rechnung" not in page and "Unsubscribe from these emails" not in page  # added by hand
    assert 'lang="en"' in text(admin_client.get(_preview_url(invoice, emma) + "/html"))


def test_preview_is_the_email_that_is_sent(admin_client, f):
    """The same rendering: once sent, the stored email reads like the preview (tokens masked)."""
    _, erika, emma, invoice = _acme(f)
    previews = {c.id: preview_document_email(INVOICE, invoice, c) for c in (erika, emma)}
    response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [erika.id, emma.id]})
    assert response.status_code == 302
    for contact in (erika, emma):
        row = db.session.scalar(select(OutboxEmail).where(OutboxEmail.contact_id == contact.id))
        preview = previews[contact.id]
        assert preview.subject == row.subject
        assert preview.text_body == mask_single_use_links(row.text_body)
        assert preview.html_body == mask_single_use_links(row.html_body)
        assert bool(preview.unsubscribe_url) == bool(row.unsubscribe_url) == (contact is erika)


def test_preview_writes_nothing_and_its_unsubscribe_link_works_for_nobody(client, admin_client, f):
    _, erika, _, invoice = _acme(f)
    before = _counts()
    page = text(admin_client.get(_preview_url(invoice, erika)))
    admin_client.get(_preview_url(invoice, erika) + "/html")
    assert _counts() == before  # no outbox row, no audit entry, no form key
    assert fresh(invoice).sent_at is None

    links = re.findall(r"https?://[^\s\"<]+/unsubscribe/([^\s\"<]+)", page)
    assert links and set(links) == {"…"}  # a placeholder, never a token
    for method in ("GET", "POST"):
        assert client.open("/unsubscribe/…", method=method).status_code == 400
    assert fresh(erika).notifications == {"invoice"}


def test_another_customers_or_an_inactive_contact_is_not_found(admin_client, f):
    customer, erika, _, invoice = _acme(f)
    stranger = f.make_contact(f.make_customer("Other Co"), notifications={"invoice"})
    gone = f.make_contact(customer, active=False)
    for contact in (stranger, gone):
        assert admin_client.get(_preview_url(invoice, contact)).status_code == 404
        assert admin_client.get(_preview_url(invoice, contact) + "/html").status_code == 404
    assert admin_client.get(f"/admin/invoices/{invoice.id + 1}/send/preview/{erika.id}").status_code == 404
    # Every kind the dialog sends has the preview; the contact must be of that document's customer.
    note = f.make_credit_note(customer)
    assert admin_client.get(f"/admin/credit-notes/{note.id}/send/preview/{erika.id}").status_code == 200
    assert admin_client.get(f"/admin/credit-notes/{note.id}/send/preview/{stranger.id}").status_code == 404


def test_portal_contacts_and_visitors_cannot_reach_the_preview(app, client, f):
    _, erika, _, invoice = _acme(f)
    contact_client = app.test_client()
    login(contact_client, erika)
    for who in (client, contact_client):
        for url in (_preview_url(invoice, erika), _preview_url(invoice, erika) + "/html"):
            response = who.get(url)
            assert response.status_code == 302 and response.location.startswith("/admin/login")


# -- who gets an unsubscribe link ---------------------------------------------------------------


def test_only_a_contact_that_receives_the_notification_gets_an_unsubscribe_link(admin_client, f, smtp):
    customer, erika, emma, invoice = _acme(f)
    no_permission = f.make_contact(customer, first_name="Nina", permissions={"support"})
    recipients = [erika, emma, no_permission]
    response = admin_client.post(f"/admin/invoices/{invoice.id}/send", data={"recipients": [c.id for c in recipients]})
    assert response.status_code == 302
    smtp.wait_for(3)

    (message,) = smtp.to(erika.email)  # preselected: receives invoice emails
    assert message["List-Unsubscribe"].startswith("<http") and "/unsubscribe/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in message.get_body(("plain",)).get_content()
    assert "/unsubscribe/" in message.get_body(("html",)).get_content()
    for contact in (emma, no_permission):  # added by hand: toggle off, or no Invoices permission
        (message,) = smtp.to(contact.email)
        assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
        for part in ("plain", "html"):
            body = message.get_body((part,)).get_content()
            assert "/unsubscribe/" not in body and "nsubscribe" not in body
        assert message["Subject"].startswith("Invoice INV-2026-0016")  # still sent, in full


def test_the_copy_to_cc_addresses_has_no_unsubscribe_link(admin_client, f, smtp):
    _, erika, _, invoice = _acme(f)
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/send", data={"recipients": [erika.id], "cc": "buchhaltung@acme.example"}
    )
    assert response.status_code == 302
    ((rcpts, message),) = smtp.wait_for(1)
    assert sorted(rcpts) == sorted([erika.email, "buchhaltung@acme.example"])
    assert message["Cc"] == "buchhaltung@acme.example"
    # The link would be Erika's own: whoever reads the copy could switch her emails off.
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert "/unsubscribe/" not in message.get_body(("plain",)).get_content()
    assert "/unsubscribe/" not in message.get_body(("html",)).get_content()
