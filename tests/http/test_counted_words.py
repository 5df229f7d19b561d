"""Counts read naturally in both languages (plural forms), and an email without an optional
value (an invoice without a due date) says nothing about it instead of "due on —"."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from wtforms.validators import ValidationError

from core.extensions import db
from core.forms import CountedLength, too_long_message
from core.notifications.notify import notify_invoice
from tests.conftest import login, text
from tests.http.helpers.email_links import only_email

CAPTIONS = {
    "en": ("active project", "active projects", "open ticket", "open tickets"),
    "de": ("aktives Projekt", "aktive Projekte", "offenes Ticket", "offene Tickets"),
}


def _caption(html: str, panel: str) -> str:
    card = re.search(rf'data-panel="{panel}".*?<p class="fs-4 mb-1">(\d+)</p><p>([^<]+)</p>', html, re.S)
    assert card, f"no {panel} panel"
    return f"{card.group(1)} {card.group(2)}"


@pytest.mark.parametrize("language", ["en", "de"])
def test_dashboard_counts_use_singular_and_plural(client, f, language):
    one_project, projects, one_ticket, tickets = CAPTIONS[language]
    customer = f.make_customer()
    contact = f.make_contact(customer, permissions={"projects", "support"}, language=language)
    f.make_project(customer)
    f.make_ticket(customer, contact)
    login(client, contact)
    html = text(client.get("/dashboard"))
    assert _caption(html, "projects") == f"1 {one_project}"
    assert _caption(html, "support") == f"1 {one_ticket}"
    f.make_project(customer, name="Second")
    f.make_ticket(customer, contact, subject="Second")
    html = text(client.get("/dashboard"))
    assert _caption(html, "projects") == f"2 {projects}"
    assert _caption(html, "support") == f"2 {tickets}"


def test_an_invoice_without_a_due_date_is_sent_without_one(f):
    customer = f.make_customer()
    contact = f.make_contact(customer, permissions={"invoices"}, notifications={"invoice"})
    invoice = f.make_invoice(customer)
    invoice.due_date = None
    notify_invoice("invoice_sent", invoice)
    db.session.commit()
    email = only_email("invoice_sent", contact)
    assert "due on" not in email.text_body and "—" not in email.text_body
    assert f"please find invoice {invoice.number} over" in email.text_body


def test_the_send_dialogs_cc_field_says_what_it_takes(admin_client, f):
    customer = f.make_customer()
    f.make_contact(customer, permissions={"invoices"}, notifications={"invoice"})
    invoice = f.make_invoice(customer)
    html = text(admin_client.get(f"/admin/invoices/{invoice.id}/send"))
    assert re.search(
        r'<input[^>]*aria-describedby="cc-help"[^>]*name="cc"|name="cc"[^>]*aria-describedby="cc-help"', html
    )
    assert '<div class="form-text" id="cc-help">Optional, comma separated</div>' in html


@pytest.mark.parametrize(
    ("language", "label"), [("en", "Attachments (up to 3 files)"), ("de", "Anhänge (bis zu 3 Dateien)")]
)
def test_the_attachments_label_counts_files_in_plural_forms(client, f, language, label):
    contact = f.make_contact(permissions={"support"}, language=language)
    login(client, contact)
    assert label in text(client.get("/tickets/new"))


@pytest.mark.parametrize(
    ("limit", "data", "message"),
    [
        (1, "ab", "Use at most 1 character; this has 2."),
        (5, "abcdefg", "Use at most 5 characters; this has 7."),
    ],
)
def test_a_length_message_uses_the_plural_form_of_its_limit(app, limit, data, message):
    field = SimpleNamespace(data=data)
    with pytest.raises(ValidationError) as refused:
        CountedLength(max=limit, message=too_long_message)(None, field)
    assert str(refused.value) == message
    CountedLength(max=limit, message=too_long_message)(None, SimpleNamespace(data=data[:limit]))  # within: passes
