"""The reminders command: first notice after N days, repeat every M days, never twice a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from core.extensions import db
from core.models import OutboxEmail
from core.services.reminders import send_reminders
from core.services.settings import set_settings

TODAY = date(2026, 11, 27)


def overdue_emails() -> int:
    return db.session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.event == "invoice_overdue"))


@pytest.fixture
def customer(f):
    customer = f.make_customer()
    f.make_contact(customer, notifications={"invoice", "estimate", "contract"})
    return customer


def invoice_due(f, customer, days_ago: int, status="unpaid"):
    invoice = f.make_invoice(customer, status=status)
    invoice.due_date = TODAY - timedelta(days=days_ago)
    db.session.commit()
    return invoice


def test_first_notice_after_n_days_then_every_m_days(f, customer):
    set_settings({"overdue_first_after_days": 2, "overdue_repeat_every_days": 3, "due_soon_days_before": 0})
    invoice_due(f, customer, days_ago=0)
    sent_on = []
    for offset in range(10):
        day = TODAY + timedelta(days=offset)
        before = overdue_emails()
        send_reminders(day)
        send_reminders(day)  # a second run the same day sends nothing more
        if overdue_emails() > before:
            assert overdue_emails() == before + 1
            sent_on.append(offset)
    assert sent_on == [2, 5, 8]


def test_repeat_zero_means_a_single_notice(f, customer):
    set_settings({"overdue_first_after_days": 1, "overdue_repeat_every_days": 0})
    invoice_due(f, customer, days_ago=1)
    for offset in range(8):
        send_reminders(TODAY + timedelta(days=offset))
    assert overdue_emails() == 1


@pytest.mark.parametrize("status", ["paid", "cancelled", "draft"])
def test_never_for_paid_cancelled_or_draft(f, customer, status):
    invoice_due(f, customer, days_ago=30, status=status)
    summary = send_reminders(TODAY)
    assert overdue_emails() == 0 and "invoice_overdue" not in summary.checked


def test_partially_paid_is_reminded_and_toggle_off_sends_nothing(f, customer):
    invoice_due(f, customer, days_ago=5, status="partially_paid")
    silent = f.make_customer()
    f.make_contact(silent, notifications=set())
    invoice_due(f, silent, days_ago=5)
    summary = send_reminders(TODAY)
    assert summary.checked["invoice_overdue"] == 2 and summary.emails["invoice_overdue"] == 1


def test_due_soon_and_expiry_reminders_once(f, customer):
    set_settings({"due_soon_days_before": 3, "estimate_expiry_days_before": 3, "contract_expiry_days_before": 7})
    invoice = f.make_invoice(customer)
    invoice.due_date = TODAY + timedelta(days=2)
    estimate = f.make_estimate(customer, status="sent")
    estimate.expiry_date = TODAY + timedelta(days=1)
    contract = f.make_contract(customer)
    contract.end_date = TODAY + timedelta(days=6)
    db.session.commit()
    first = send_reminders(TODAY)
    second = send_reminders(TODAY + timedelta(days=1))
    assert first.emails == {"invoice_due_soon": 1, "estimate_expiry_reminder": 1, "contract_expiry_reminder": 1}
    assert second.emails == {}


def test_cli_shows_progress_and_summary(app, f, customer):
    invoice_due(f, customer, days_ago=10)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "Reminders for 2026-11-27" in result.output
    assert "invoice_overdue: 1 document(s), 1 email(s) queued" in result.output
    assert "Total: 1 document(s), 1 email(s) queued" in result.output
    again = runner.invoke(args=["send-reminders", "--today", TODAY.isoformat()])
    assert "Nothing to remind today." in again.output
    assert overdue_emails() == 1


def test_statements_per_run_do_not_grow_with_the_invoices(app, f):
    """Recipients are read once per batch (not per invoice) and the batch is claimed by one
    UPDATE: a run's statements depend on its batches only. (The outbox rows themselves are not
    counted: one INSERT per batch on PostgreSQL, one per row on SQLite, where the ORM cannot
    batch INSERT ... RETURNING.)"""
    recorded: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("INSERT INTO email_outbox"):
            recorded.append(statement)

    def statements_for(invoices: int) -> int:
        customer = f.make_customer()
        f.make_contact(customer, notifications={"invoice"})
        for _ in range(invoices):
            invoice_due(f, customer, days_ago=10)
        recorded.clear()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            summary = send_reminders(TODAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        assert summary.emails == {"invoice_overdue": invoices}
        return len(recorded)

    assert statements_for(2) == statements_for(40)
