"""The command-line commands end with a summary line (the progress bar only shows on a terminal)."""

from __future__ import annotations

import re

import pytest

from core.extensions import db
from core.notifications.notify import notify_invoice


def _queue_invoice_emails(f, n: int = 2) -> None:
    customer = f.make_customer()
    for _index in range(n):
        f.make_contact(customer, permissions={"invoices"}, notifications={"invoice"})
    notify_invoice("invoice_sent", f.make_invoice(customer))
    db.session.commit()


def test_seed_demo_summarises_what_it_loaded(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Creating staff administrator..." in result.output  # one line per step when not a terminal
    assert re.search(r"Demo data loaded: 3 customers, 9 contacts, 18 invoices, .* in \d+\.\d s\.", result.output)
    again = runner.invoke(args=["seed-demo"])
    assert "Demo data already present; nothing changed." in again.output


def test_mail_dispatch_once_summarises(app, f):
    _queue_invoice_emails(f)
    result = app.test_cli_runner().invoke(args=["mail-dispatch"])
    assert result.exit_code == 0, result.output
    assert re.search(r"sent 0, failed 0, retried later 0, stored only 2 \(2 handled in \d+\.\d s\)", result.output)


def test_mail_dispatch_loop_reports_each_batch_and_the_totals(app, f, monkeypatch):
    _queue_invoice_emails(f, n=3)

    def stop(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", stop)
    result = app.test_cli_runner().invoke(args=["mail-dispatch", "--loop", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    batches = [line for line in result.output.splitlines() if "batch:" in line]
    assert len(batches) == 2 and "stored only 2" in batches[0] and "stored only 1" in batches[1]
    assert "Stopped. In total: sent 0, failed 0, retried later 0, stored only 3" in result.output


@pytest.mark.parametrize("existing", [False, True])
def test_create_admin(app, f, existing):
    if existing:
        f.make_staff(email="root@example.com")
    args = ["create-admin", "--email", "root@example.com", "--name", "Root", "--password", "correct horse battery"]
    result = app.test_cli_runner().invoke(args=args)
    if existing:
        assert result.exit_code == 1
        assert "A staff user with the email address root@example.com already exists." in result.output
    else:
        assert result.exit_code == 0, result.output
        assert "Created administrator root@example.com." in result.output
