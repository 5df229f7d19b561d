"""An email or page without an optional value (no due date, no expiry, no signer name, no
deadline...) leaves that clause out: never "due on —", "None", an empty pair of quotes or a
space before a full stop, in English and in German."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale

from core.extensions import db
from core.mail.outbox import render_email
from core.models import Payment
from core.notifications.events import EVENTS
from tests.conftest import login, text
from tests.http.helpers.portal_company import manage_contacts

LANGUAGES = ["en", "de"]
# The reminders exist because of their date (the reminder queries select by it), so those
# emails always have one; every other optional value is left empty below.
DATED_BY_THEIR_TRIGGER = {"invoice_overdue", "invoice_due_soon", "estimate_expiry_reminder", "contract_expiry_reminder"}


def _artifacts(text: str) -> list[str]:
    """What a sentence with a missing value leaves behind."""
    patterns = {
        "None": r"\bNone\b",
        "a dash for a value": "—",
        "a double space": r"\S  +\S",
        "a space before punctuation": r" [.,;:)]",
        "empty quotes or brackets": r'""|„“|\(\)|\(\s*,',
        "an empty value before punctuation": r"(?:on|until|till|by|am|bis|von) [.,)]",
    }
    return [f"{why}: {m.group(0)!r}" for why, rx in patterns.items() for m in re.finditer(rx, text)]


@pytest.fixture
def contexts(f):
    """A context for every email event, with every optional value missing."""
    customer = f.make_customer()
    contact = f.make_contact(customer)
    invoice = f.make_invoice(customer)
    undated = f.make_invoice(customer)
    undated.due_date = None
    estimate = f.make_estimate(customer)  # no expiry date, no signer
    decided = f.make_estimate(customer, status="accepted")
    contract = f.make_contract(customer)  # no end date
    signed = f.make_contract(customer, subject="Signed without a name")
    signed.signed_at = datetime(2026, 3, 1, 9, 30)
    ending = f.make_contract(customer, subject="Ending")
    ending.end_date = date.today() + timedelta(days=10)
    expiring = f.make_estimate(customer)
    expiring.expiry_date = date.today() + timedelta(days=5)
    proposal = f.make_proposal(customer, status="declined")
    ticket = f.make_ticket(customer, contact)
    project = f.make_project(customer, tasks=[("Draft", True)])
    task = project.tasks[0]  # no due date
    payment = Payment(invoice_id=invoice.id, amount=Decimal("10"), date=date.today())
    # Staff are told of card payments only, which always have the gateway's reference.
    card_payment = Payment(invoice_id=invoice.id, amount=Decimal("10"), date=date.today(), kind="card")
    card_payment.gateway_reference = "pi_123"
    db.session.commit()
    work = {"project": project, "detail": "notes.pdf"}
    people = {"customer": customer, "author": contact.full_name, "message": "Hello"}
    by_event = {
        "invoice_sent": {"invoice": undated},
        "credit_note_sent": {"note": f.make_credit_note(customer)},
        "estimate_sent": {"estimate": estimate},
        "contract_sent": {"contract": contract},
        "invoice_overdue": {"invoice": invoice},
        "invoice_due_soon": {"invoice": invoice},
        "payment_recorded": {"invoice": undated, "payment": payment},
        "estimate_expiry_reminder": {"estimate": expiring},
        "estimate_decided": {"estimate": decided},
        "contract_expiry_reminder": {"contract": ending},
        "ticket_autoreply": {"ticket": ticket, "message": ""},
        "ticket_staff_reply": {"ticket": ticket, "message": "We are on it."},
        "project_created": work,
        "project_finished": work,
        "project_file_added": work,
        "project_discussion": work,
        "task_created": {**work, "task": task},
        "task_commented": {**work, "task": task},
        "task_status_changed": {**work, "task": task},
        "invitation": {},
        "password_reset": {},
        "password_changed": {},
        "password_set_by_staff": {},
        "staff_estimate_decided": {"estimate": decided, **people},
        "staff_proposal_decided": {"proposal": proposal, **people},
        "staff_proposal_comment": {"proposal": proposal, **people},
        "staff_contract_signed": {"contract": signed, **people},
        "staff_ticket_opened": {"ticket": ticket, **people},
        "staff_ticket_reply": {"ticket": ticket, **people},
        "staff_payment_received": {"invoice": undated, "payment": card_payment, **people},
        "sign_in_link": {"minutes": 15},
        "staff_sign_in_link": {"minutes": 15},
    }
    common = {"contact": contact, "greeting_name": contact.first_name, "link": "https://portal.example/x"}
    return {key: {**common, "event": EVENTS[key], **values} for key, values in by_event.items()}


def test_every_email_is_covered(contexts):
    assert set(contexts) == set(EVENTS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_emails_read_naturally_without_optional_values(contexts, language):
    problems = []
    for event, context in contexts.items():
        with force_locale(language):
            subject, text_body, _html = render_email(event, context)
        body = text_body.split("\n-- \n")[0]  # the signature's "-- " is the standard delimiter
        problems += [f"{event}: {problem}" for problem in _artifacts(f"{subject}\n{body}")]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("event", "language", "expected"),
    [
        ("estimate_sent", "en", "over 119.00 EUR. You can accept"),
        ("estimate_sent", "de", "über 119,00\xa0€. Sie können"),
        ("staff_contract_signed", "en", 'signed the contract "Signed without a name".'),
        ("staff_contract_signed", "de", "hat den Vertrag „Signed without a name“ unterschrieben."),
    ],
)
def test_the_clause_of_a_missing_value_is_left_out(contexts, event, language, expected):
    with force_locale(language):
        _subject, text_body, _html = render_email(event, contexts[event])
    assert expected in text_body


# --- Pages ------------------------------------------------------------------------------------


def _muted_lines(html: str) -> list[str]:
    """The pages' fact lines and notices, as text: where a missing value would show."""
    found = re.findall(r'<p class="(?:text-muted|alert[^"]*)">(.*?)</p>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", line).split()) for line in found]


@pytest.mark.parametrize("language", LANGUAGES)
def test_portal_pages_read_naturally_without_optional_values(client, f, language):
    customer = f.make_customer()
    contact = f.make_contact(customer, language=language)
    colleague = f.make_contact(customer)  # never logged in
    contact.is_primary = True
    manage_contacts()
    estimate = f.make_estimate(customer)
    proposal = f.make_proposal(customer)
    contract = f.make_contract(customer)
    contract.signed_at = datetime(2026, 3, 1, 9, 30)
    project = f.make_project(customer, tasks=[("Draft", True)])
    task = project.tasks[0]
    db.session.commit()
    login(client, contact)
    pages = {
        "estimate": f"/estimates/{estimate.id}",
        "proposal": f"/proposals/{proposal.id}",
        "contract": f"/contracts/{contract.id}",
        "task": f"/projects/{project.id}/tasks/{task.id}",
        "colleague": f"/company/contacts/{colleague.id}",
    }
    problems = []
    for name, path in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        problems += [f"{name}: {line!r}: {p}" for line in _muted_lines(text(response)) for p in _artifacts(line)]
    assert not problems, "\n".join(problems)
    contract_page = " ".join(_muted_lines(text(client.get(pages["contract"]))))
    assert {"en": "from ", "de": "ab "}[language] in contract_page
    assert {"en": "Signed on ", "de": "Unterschrieben am "}[language] in contract_page
    colleague_page = " ".join(_muted_lines(text(client.get(pages["colleague"]))))
    assert {"en": "never logged in", "de": "noch nie angemeldet"}[language] in colleague_page


def test_admin_pages_read_naturally_without_optional_values(admin_client, f):
    customer = f.make_customer()
    proposal = f.make_proposal(customer)
    contract = f.make_contract(customer)
    contract.signed_at = datetime(2026, 3, 1, 9, 30)
    contact = f.make_contact(customer)  # never logged in
    project = f.make_project(customer, tasks=[("Draft", True)])
    task = project.tasks[0]
    db.session.commit()
    pages = {
        "proposal": f"/admin/proposals/{proposal.id}",
        "project": f"/admin/projects/{project.id}",
        "task": f"/admin/tasks/{task.id}",
    }
    problems = []
    for name, path in pages.items():
        response = admin_client.get(path)
        assert response.status_code == 200, path
        problems += [f"{name}: {line!r}: {p}" for line in _muted_lines(text(response)) for p in _artifacts(line)]
    assert not problems, "\n".join(problems)
    contact_form = text(admin_client.get(f"/admin/contacts/{contact.id}/edit"))
    assert "never logged in" in contact_form and "last login —" not in contact_form
    signature = text(admin_client.get(f"/admin/contracts/{contract.id}"))
    assert "None" not in signature and "by  on" not in signature
    assert re.search(r"Signature</dt><dd[^>]*>.*?on \d{2} \w{3} 2026", signature, re.S)
