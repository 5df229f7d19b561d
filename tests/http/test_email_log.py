"""The email log never shows a usable single-use link, to administrators either."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.extensions import db
from core.mail.links import mask_single_use_links
from core.mail.outbox import queue_email
from core.models import OutboxEmail
from core.services.passwords import prepare_reset_emails, request_password_reset, send_invitation
from core.tokens import load_password_token, load_unsubscribe_token

TOKEN_IN_URL = re.compile(r"/(set-password|reset-password|unsubscribe)/([A-Za-z0-9_\-.]{20,})")


def test_no_token_appears_in_the_email_log(app, admin_client, f):
    contact = f.make_contact(permissions={"invoices"}, notifications={"invoice"})
    invoice = f.make_invoice(contact.customer)
    send_invitation(contact)
    request_password_reset(contact.email)
    prepare_reset_emails()  # the dispatcher renders a reset request's email
    queue_email("invoice_sent", contact, link_values={"invoice_id": invoice.id}, context={"invoice": invoice})
    db.session.commit()

    rows = db.session.scalars(select(OutboxEmail)).all()
    tokens = {
        token
        for row in rows
        for text in (row.link, row.unsubscribe_url, row.text_body, row.html_body)
        for _kind, token in TOKEN_IN_URL.findall(text or "")
    }
    # The stored emails do carry real, working tokens of core/tokens.py (three purposes).
    kinds = {kind for row in rows for kind, _token in TOKEN_IN_URL.findall(row.text_body)}
    assert kinds == {"set-password", "reset-password", "unsubscribe"}
    invitation = next(row for row in rows if row.event == "invitation")
    assert load_password_token("invitation", invitation.link.rsplit("/", 1)[1]).id == contact.id
    invoice_email = next(row for row in rows if row.event == "invoice_sent")
    assert load_unsubscribe_token(invoice_email.unsubscribe_url.rsplit("/", 1)[1])[0].id == contact.id

    pages = [admin_client.get("/admin/emails"), admin_client.get(f"/admin/emails?contact_id={contact.id}")]
    for row in rows:
        pages += [admin_client.get(f"/admin/emails/{row.id}"), admin_client.get(f"/admin/emails/{row.id}/html")]
    assert all(page.status_code == 200 for page in pages)
    for page in pages:
        body = page.get_data(as_text=True)
        assert not any(token in body for token in tokens)
    detail = admin_client.get(f"/admin/emails/{invitation.id}").get_data(as_text=True)
    assert "/set-password/…" in detail and 'data-testid="masked-link"' in detail
    assert "/unsubscribe/…" in admin_client.get(f"/admin/emails/{invoice_email.id}/html").get_data(as_text=True)
    # An ordinary link stays whole and clickable.
    page = admin_client.get(f"/admin/emails/{invoice_email.id}").get_data(as_text=True)
    assert f'<a href="{invoice_email.link}" target="_blank"' in page


def test_masking_keeps_everything_but_the_token(app):
    text = 'Go to https://portal.example/reset-password/abc.DEF-123_x?x=1 or <a href="/a?b=1&amp;token=s3cr3t">'
    assert mask_single_use_links(text) == (
        'Go to https://portal.example/reset-password/…?x=1 or <a href="/a?b=1&amp;token=…">'
    )
    assert mask_single_use_links("https://portal.example/invoices/7") == "https://portal.example/invoices/7"
    assert mask_single_use_links("") == ""
