"""Every stored value shown with ``|label`` has a translatable label, and English reads as before."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from core.catalogs import NOTIFICATION_KEYS
from core.labels import LABELS, label, status_badge
from core.models import (
    ATTEMPT_STATUSES,
    CREDIT_NOTE_STATUSES,
    EMAIL_STATUSES,
    ESTIMATE_STATUSES,
    INVOICE_STATUSES,
    PAYMENT_KINDS,
    PAYMENT_STATUSES,
    PROJECT_STATUSES,
    PROPOSAL_STATUSES,
    TASK_STATUSES,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    WEBHOOK_STATUSES,
)
from core.notifications.events import EVENTS

# Statuses the lists derive rather than store: an overdue invoice, an expired estimate, a
# contract's signature.
DERIVED = ("overdue", "expired", "signed", "not_signed")
STORED = (
    *INVOICE_STATUSES,
    *CREDIT_NOTE_STATUSES,
    *ESTIMATE_STATUSES,
    *PROPOSAL_STATUSES,
    *TICKET_STATUSES,
    *TICKET_PRIORITIES,
    *PROJECT_STATUSES,
    *TASK_STATUSES,
    *EMAIL_STATUSES,
    *PAYMENT_KINDS,
    *PAYMENT_STATUSES,
    *ATTEMPT_STATUSES,
    *WEBHOOK_STATUSES,
)


@pytest.mark.parametrize("value", sorted({*STORED, *DERIVED, *EVENTS, *NOTIFICATION_KEYS}))
def test_every_status_event_and_notification_has_a_label(value):
    assert value in LABELS


def test_english_labels_read_as_the_fallback(app):
    with app.test_request_context():
        _check_english()


def _check_english():
    for value, text in LABELS.items():
        assert str(text) == value.replace("_", " ").capitalize(), value
        assert label(value) == str(text)


def test_unknown_and_empty_values():
    assert label("some_new_state") == "Some new state"
    assert label("") == "" and label(None) == ""


def test_badges_follow_the_language_and_escape(app):
    with app.test_request_context():
        assert status_badge("paid") == '<span class="badge text-bg-success">Paid</span>'
        with force_locale("de"):
            assert status_badge("paid") == '<span class="badge text-bg-success">Bezahlt</span>'
        assert status_badge("paid") == '<span class="badge text-bg-success">Paid</span>'  # not the cached German one
        assert status_badge("<b>odd_state") == '<span class="badge text-bg-light">&lt;b&gt;odd state</span>'
