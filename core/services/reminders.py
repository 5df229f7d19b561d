"""Overdue, due-soon and expiry reminders, run daily by ``flask send-reminders`` (cron).

Each document records the day it was last reminded, so running the command twice on a day
sends nothing twice, and two runs at the same time (two cron hosts, an overlapping deploy)
never queue a reminder twice: see ``send_reminders``. Paid, cancelled and draft invoices never
get reminders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, select, update

from core.extensions import db
from core.i18n import _l
from core.joblock import exclusive
from core.models import Contract, Estimate, Invoice
from core.notifications.events import EVENTS
from core.notifications.notify import notify_contract, notify_estimate, notify_invoice
from core.notifications.recipients import recipients_by_customer

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


RUN_LOCK = "send-reminders"


@dataclass(frozen=True)
class _Kind:
    """One kind of reminder: which documents are due, the column that records the day it was
    sent, and how its email is queued."""

    event: str
    model: type
    reminded_on: object  # the mapped column, e.g. Invoice.overdue_reminded_on
    due: object  # SQL condition: due today and not yet reminded (evaluated again when claiming)
    notify: Callable


def _kinds(today: date) -> Iterator[_Kind]:
    first, repeat = setting("overdue_first_after_days"), setting("overdue_repeat_every_days")
    not_reminded = Invoice.overdue_reminded_on.is_(None)
    if repeat > 0:
        not_reminded = not_reminded | (Invoice.overdue_reminded_on <= today - timedelta(days=repeat))
    yield _Kind(
        "invoice_overdue",
        Invoice,
        Invoice.overdue_reminded_on,
        # Overdue (``Invoice.is_overdue``, the rule the pages use) for at least ``first`` days:
        # a due date on or before today - first, i.e. before the day after it.
        and_(Invoice.is_overdue(today - timedelta(days=first - 1)), not_reminded),
        notify_invoice,
    )
    if days := setting("due_soon_days_before"):
        due = and_(
            Invoice.is_open,
            Invoice.due_date > today,
            Invoice.due_date <= today + timedelta(days=days),
            Invoice.due_soon_reminded_on.is_(None),
        )
        yield _Kind("invoice_due_soon", Invoice, Invoice.due_soon_reminded_on, due, notify_invoice)
    if days := setting("estimate_expiry_days_before"):
        due = and_(
            Estimate.open_for_decision(today),
            Estimate.expiry_date <= today + timedelta(days=days),
            Estimate.expiry_reminded_on.is_(None),
        )
        yield _Kind("estimate_expiry_reminder", Estimate, Estimate.expiry_reminded_on, due, notify_estimate)
    if days := setting("contract_expiry_days_before"):
        due = and_(
            Contract.end_date >= today,
            Contract.end_date <= today + timedelta(days=days),
            Contract.expiry_reminded_on.is_(None),
        )
        yield _Kind("contract_expiry_reminder", Contract, Contract.expiry_reminded_on, due, notify_contract)


def count_due(today: date) -> int:
    """How many documents the next run will look at (for a progress bar)."""
    return sum(
        db.session.scalar(select(func.count()).select_from(kind.model).where(kind.due)) or 0 for kind in _kinds(today)
    )


def _candidates(kind: _Kind) -> Iterator[list]:
    """Due documents in id order, BATCH at a time (keyset, so each batch is a short query)."""
    last_id = 0
    while True:
        stmt = select(kind.model).where(kind.due, kind.model.id > last_id).order_by(kind.model.id).limit(BATCH)
        rows = list(db.session.scalars(stmt))
        if not rows:
            return
        last_id = rows[-1].id  # read before the caller's commit expires the rows
        yield rows


def _claim(kind: _Kind, ids: list[int], today: date) -> set[int]:
    """Mark the documents reminded today, if they are still due; returns the ids marked.

    This UPDATE is what makes a reminder go out once, whatever runs at the same time: on
    PostgreSQL a concurrent run's claim waits for the row locks taken here (in id order, so two
    runs never deadlock) and then finds the rows no longer due; SQLite runs one writer at a time.
    """
    model = kind.model
    locked = select(model.id).where(model.id.in_(ids), kind.due).order_by(model.id).with_for_update()
    stmt = (
        update(model)
        .where(model.id.in_(locked), kind.due)
        .values({kind.reminded_on: today})
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return set(db.session.scalars(stmt))


def send_reminders(
    today: date, progress: Callable[[int], None] = lambda _n: None, *, wait: float = 0.0, on_wait=None
) -> ReminderSummary:
    """Queue every reminder due on ``today``, committing batch by batch; returns the counts.

    Each reminder is queued once whatever runs concurrently: a document's email is added in the
    same transaction as the UPDATE that claims it (``_claim``). Runs also take the job lock
    ``RUN_LOCK``: another active run makes this one wait up to ``wait`` seconds
    (``on_wait(holder)`` is told), then raise ``core.joblock.JobBusy`` having queued nothing.
    Recipients are read once per batch and customer, not per document.
    """
    summary = ReminderSummary()
    with exclusive(RUN_LOCK, wait=wait, on_wait=on_wait):
        for kind in _kinds(today):
            notification = EVENTS[kind.event].notification
            for documents in _candidates(kind):
                claimed = _claim(kind, [d.id for d in documents], today)
                recipients = recipients_by_customer({d.customer_id for d in documents if d.id in claimed}, notification)
                for document in documents:
                    if document.id in claimed:
                        emails = kind.notify(kind.event, document, recipients=recipients[document.customer_id])
                        summary.add(kind.event, len(emails))
                db.session.commit()
                progress(len(documents))
    return summary
