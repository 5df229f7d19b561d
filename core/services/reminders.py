"""Overdue, due-soon and expiry reminders, run daily by ``flask send-reminders`` (cron).

Each document records the day it was last reminded, so running the command twice on a day
sends nothing twice. Paid, cancelled and draft invoices never get reminders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from core.extensions import db
from core.i18n import _l
from core.models import Contract, Estimate, Invoice
from core.notifications.notify import notify_contract, notify_estimate, notify_invoice

from .settings import get_int_setting

BATCH = 500

REMINDER_SETTINGS = {
    # key: (default, label)
    "overdue_first_after_days": (1, _l("First overdue notice, days after the due date")),
    "overdue_repeat_every_days": (3, _l("Repeat the overdue notice every N days (0 = never)")),
    "due_soon_days_before": (3, _l("Due-soon notice, days before the due date (0 = off)")),
    "estimate_expiry_days_before": (3, _l("Estimate expiry reminder, days before (0 = off)")),
    "contract_expiry_days_before": (7, _l("Contract expiry reminder, days before (0 = off)")),
}


@dataclass
class ReminderSummary:
    checked: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, emails: int) -> None:
        self.checked[kind] = self.checked.get(kind, 0) + 1
        self.emails[kind] = self.emails.get(kind, 0) + emails


def setting(key: str) -> int:
    return get_int_setting(key, REMINDER_SETTINGS[key][0])


def _batches(stmt, model):
    """Rows of ``stmt`` in id order, BATCH at a time (keyset, so each batch is a short query)."""
    last_id = 0
    while True:
        rows = list(db.session.scalars(stmt.where(model.id > last_id).order_by(model.id).limit(BATCH)))
        if not rows:
            return
        yield rows
        last_id = rows[-1].id


def count_due(today: date) -> int:
    """How many documents the next run will look at (for a progress bar)."""
    from sqlalchemy import func

    return sum(db.session.scalar(select(func.count()).select_from(q.subquery())) or 0 for q, _ in _queries(today))


def _queries(today: date):
    first, repeat = setting("overdue_first_after_days"), setting("overdue_repeat_every_days")
    overdue = select(Invoice).where(Invoice.is_open, Invoice.due_date <= today - timedelta(days=first))
    if repeat > 0:
        overdue = overdue.where(
            (Invoice.overdue_reminded_on.is_(None)) | (Invoice.overdue_reminded_on <= today - timedelta(days=repeat))
        )
    else:
        overdue = overdue.where(Invoice.overdue_reminded_on.is_(None))
    yield overdue, "invoice_overdue"
    if days := setting("due_soon_days_before"):
        yield (
            select(Invoice).where(
                Invoice.is_open,
                Invoice.due_date > today,
                Invoice.due_date <= today + timedelta(days=days),
                Invoice.due_soon_reminded_on.is_(None),
            ),
            "invoice_due_soon",
        )
    if days := setting("estimate_expiry_days_before"):
        yield (
            select(Estimate).where(
                Estimate.status == "sent",
                Estimate.expiry_date >= today,
                Estimate.expiry_date <= today + timedelta(days=days),
                Estimate.expiry_reminded_on.is_(None),
            ),
            "estimate_expiry_reminder",
        )
    if days := setting("contract_expiry_days_before"):
        yield (
            select(Contract).where(
                Contract.end_date >= today,
                Contract.end_date <= today + timedelta(days=days),
                Contract.expiry_reminded_on.is_(None),
            ),
            "contract_expiry_reminder",
        )


def send_reminders(today: date, progress: Callable[[int], None] = lambda _n: None) -> ReminderSummary:
    """Queue every reminder due on ``today``, committing batch by batch; returns the counts."""
    summary = ReminderSummary()
    for stmt, event in _queries(today):
        model = stmt.column_descriptions[0]["entity"]
        for rows in _batches(stmt, model):
            for document in rows:
                if event == "invoice_overdue":
                    emails = notify_invoice(event, document)
                    document.overdue_reminded_on = today
                elif event == "invoice_due_soon":
                    emails = notify_invoice(event, document)
                    document.due_soon_reminded_on = today
                elif event == "estimate_expiry_reminder":
                    emails = notify_estimate(event, document)
                    document.expiry_reminded_on = today
                else:
                    emails = notify_contract(event, document)
                    document.expiry_reminded_on = today
                summary.add(event, len(emails))
            db.session.commit()
            progress(len(rows))
    return summary
