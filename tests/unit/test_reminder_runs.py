"""Reminder runs that overlap (two cron hosts, an overlapping deploy): each reminder is queued
once, and a run that finds another one active waits for it or says so.

Real components only: other runs are real ``flask send-reminders`` processes (killed with
SIGKILL in one test), or a real concurrent transaction on its own database connection.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text, update

from core import joblock
from core.extensions import db
from core.joblock import JobBusy, exclusive
from core.models import Invoice, OutboxEmail
from core.services.reminders import RUN_LOCK, send_reminders

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 27)


def overdue_invoices(f, count: int, customers: int = 1) -> list[int]:
    """``count`` overdue invoices spread over ``customers`` customers of one contact each."""
    owners = []
    for _ in range(customers):
        customer = f.make_customer()
        f.make_contact(customer, notifications={"invoice"})
        owners.append(customer.id)
    first = f.make_invoice(db.session.get(type(customer), owners[0]))
    rows = [
        dict(
            customer_id=owners[n % customers],
            number=f"INV-RUN{n:06d}",
            status="unpaid",
            date=TODAY - timedelta(days=40),
            due_date=TODAY - timedelta(days=10),
            total=100,
            currency="EUR",
        )
        for n in range(count - 1)
    ]
    db.session.execute(update(Invoice).where(Invoice.id == first.id).values(due_date=TODAY - timedelta(days=10)))
    if rows:
        db.session.execute(insert(Invoice), rows)
    db.session.commit()
    return list(db.session.scalars(select(Invoice.id).order_by(Invoice.id)))


def emails_per_invoice() -> Counter:
    """Overdue emails queued per invoice id (each links to its invoice's page, ``?login_hint=...``)."""
    db.session.expire_all()
    links = db.session.scalars(select(OutboxEmail.link).where(OutboxEmail.event == "invoice_overdue"))
    return Counter(int(link.split("?", 1)[0].rstrip("/").rsplit("/", 1)[1]) for link in links)


def reminders_process(app, *args: str) -> subprocess.Popen:
    """A real ``flask send-reminders`` process against the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "reminder-runs-test-key-0123456789abcdef",
        "PORTAL_MAIL_FLUSH_AFTER_REQUEST": "0",
    }
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "send-reminders", "--today", TODAY.isoformat(), *args]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen) -> tuple[int, str]:
    output, _ = process.communicate(timeout=120)
    return process.returncode, output


def test_two_runs_at_once_queue_each_reminder_once(app, f):
    ids = overdue_invoices(f, 1200, customers=12)
    runs = [reminders_process(app, "--wait", "120") for _ in range(2)]
    results = [finish(run) for run in runs]
    for code, output in results:
        assert code == 0, output
        assert "database is locked" not in output
    assert emails_per_invoice() == Counter({invoice_id: 1 for invoice_id in ids})
    assert sum("email(s) queued" in output and "Total: 1200" in output for _, output in results) == 1


def test_a_run_that_finds_another_active_says_so_or_waits(app, f):
    ids = overdue_invoices(f, 3)
    with exclusive(RUN_LOCK):  # this test process is "the other run"
        code, output = finish(reminders_process(app, "--wait", "0"))
        assert code != 0
        assert "Another send-reminders run is active" in output
        assert f"pid {os.getpid()}" in output and "this run did nothing" in output
        assert emails_per_invoice() == Counter()

        waiting = reminders_process(app, "--wait", "60")
        deadline = time.monotonic() + 30
        first_line = waiting.stdout.readline()
        assert "waiting up to 60 s" in first_line, first_line
        assert time.monotonic() < deadline
        assert waiting.poll() is None
    code, output = finish(waiting)
    assert code == 0, output
    assert emails_per_invoice() == Counter({invoice_id: 1 for invoice_id in ids})


def test_a_killed_run_frees_the_lock_and_the_next_run_finishes_its_work(app, f):
    ids = overdue_invoices(f, 3000, customers=30)
    run = reminders_process(app, "--wait", "0")
    deadline = time.monotonic() + 60
    while not emails_per_invoice() and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    code, output = finish(reminders_process(app, "--wait", "0"))
    assert code == 0, output
    assert emails_per_invoice() == Counter({invoice_id: 1 for invoice_id in ids})


WAITING_FOR_A_LOCK = text(
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def test_a_document_claimed_by_another_run_meanwhile_is_not_reminded_again(app, f):
    """The run's own claim, not only the lock: another writer reminds three of the invoices
    while the run is working on them (selected, not yet claimed); the run skips those."""
    ids = overdue_invoices(f, 6)
    taken = ids[:3]
    other = db.engine.connect()
    other.execute(update(Invoice).where(Invoice.id.in_(taken)).values(overdue_reminded_on=TODAY))
    summaries, errors = [], []

    def run():
        try:
            with app.app_context():
                summaries.append(send_reminders(TODAY))
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        if db.engine.dialect.name == "postgresql":
            # Until the run waits for the other transaction's row locks (asked on a third
            # connection: a transaction sees one snapshot of pg_stat_activity).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
                deadline = time.monotonic() + 20
                while not (waiting := watcher.scalar(WAITING_FOR_A_LOCK)) and time.monotonic() < deadline:
                    time.sleep(0.05)
            assert waiting, "the run never waited for the other transaction"
        else:
            time.sleep(1)  # the run's write waits for the other writer (busy_timeout is 5 s)
        assert thread.is_alive()
    finally:
        other.commit()
        other.close()
        thread.join(timeout=60)
    assert not errors, errors
    assert emails_per_invoice() == Counter({invoice_id: 1 for invoice_id in ids[3:]})
    assert summaries[0].emails == {"invoice_overdue": 3}


def test_the_lock_waits_then_names_the_other_run(app):
    holder_ready, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context():
            with exclusive(RUN_LOCK):
                holder_ready.set()
                release.wait(30)
            db.session.remove()

    thread = threading.Thread(target=hold)
    thread.start()
    assert holder_ready.wait(30)
    told = []
    with pytest.raises(JobBusy) as busy, exclusive(RUN_LOCK, wait=0.3, on_wait=told.append, poll=0.1):
        pytest.fail("ran while another run held the lock")
    assert "Another send-reminders run is active" in str(busy.value) and "after waiting" in str(busy.value)
    assert len(told) == 1 and f"pid {os.getpid()}" in told[0]
    release.set()
    thread.join(30)
    # Free again once the holder is done, and re-entrant in one thread (the command, then the service).
    with exclusive(RUN_LOCK), exclusive(RUN_LOCK):
        pass


@pytest.mark.skipif("postgresql" not in os.environ.get("DATABASE_URL", ""), reason="PostgreSQL only")
def test_a_lock_connection_cut_before_the_lock_is_granted_asks_again_on_a_fresh_one(app):
    """Cut between connecting and asking for the lock (seen when an operator terminates a run
    that has just started): the run is not failed, it asks again on a new connection."""
    taken = []

    def terminate_lock_connection():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as operator:
            taken.append(
                operator.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE application_name LIKE :name AND datname = current_database()"
                    ),
                    {"name": "cut-before-granted %"},
                )
            )

    with joblock._postgresql("cut-before-granted") as attempt:
        terminate_lock_connection()
        assert attempt.try_lock()
        holders = db.session.scalar(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :key"),
            {"key": attempt.key},
        )
        db.session.rollback()
    assert taken == [1] and holders == 1


@pytest.mark.skipif("postgresql" not in os.environ.get("DATABASE_URL", ""), reason="PostgreSQL only")
def test_a_terminated_lock_connection_neither_duplicates_nor_fails_the_run(app, f):
    """An operator (or a failover) cuts the lock's connection mid-run: the lock is gone, a
    second run can start, and the claims still queue each reminder once."""
    ids = overdue_invoices(f, 1500, customers=15)
    first = reminders_process(app, "--wait", "0")
    deadline = time.monotonic() + 60
    terminated = 0
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as operator:
        while not terminated and time.monotonic() < deadline and first.poll() is None:
            terminated = operator.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name LIKE 'send-reminders pid%' AND datname = current_database()"
                )
            )
            time.sleep(0.02)
    second = reminders_process(app, "--wait", "60")
    for code, output in (finish(first), finish(second)):
        assert code == 0, output
    assert terminated, "the first run ended before its lock connection could be cut"
    assert emails_per_invoice() == Counter({invoice_id: 1 for invoice_id in ids})
    never_reminded = select(func.count()).select_from(Invoice).where(Invoice.overdue_reminded_on.is_(None))
    assert db.session.scalar(never_reminded) == 0
