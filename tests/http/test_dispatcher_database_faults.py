"""A running ``flask mail-dispatch --loop`` (a real process) survives its PostgreSQL connections
being terminated (``pg_terminate_backend``, as a database restart or failover does): idle or
mid-drain, it rolls back, reconnects with backoff and carries on; nothing is lost or sent twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.extensions import db
from core.models import OutboxEmail
from core.notifications.notify import notify_invoice

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="terminates PostgreSQL backends"
)


class Dispatcher:
    """``flask mail-dispatch --loop`` in its own process, its connections named for this test."""

    def __init__(self, smtp, *, pre_ping: bool, batch_size: int = 100):
        self.name = f"mail-dispatch-test-{uuid.uuid4().hex[:8]}"
        url = os.environ["DATABASE_URL"]
        env = {
            **os.environ,
            "DATABASE_URL": url + ("&" if "?" in url else "?") + f"application_name={self.name}",
            "SECRET_KEY": "k" * 40,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_FLUSH_AFTER_REQUEST": "0",
            "MAIL_COMMIT_EVERY": "20",
            "DATABASE_POOL_PRE_PING": "1" if pre_ping else "",
        }
        command = [sys.executable, "-m", "flask", "mail-dispatch", "--loop", "--interval", "0.2"]
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [*command, "--batch-size", str(batch_size)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def terminate_connections(self) -> int:
        """Kill this dispatcher's database connections from the server side; returns how many."""
        killed = db.session.scalar(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": self.name},
        )
        db.session.commit()
        return killed

    def stop(self) -> str:
        """Stop it as an operator does (Ctrl-C) and return everything it printed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            output, _ = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            output, _ = self.proc.communicate()
        return output


def wait_until(condition, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def queue(f, customer, contacts: int, invoices: int = 1) -> None:
    for i in range(contacts):
        f.make_contact(customer, email=f"c{i}-{uuid.uuid4().hex[:6]}@acme.example", notifications={"invoice"})
    for _ in range(invoices):
        notify_invoice("invoice_sent", f.make_invoice(customer))
    db.session.commit()


def statuses() -> dict[str, int]:
    db.session.expire_all()
    counts = db.session.execute(select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)).all()
    db.session.commit()
    return dict(counts)


def test_an_idle_dispatcher_carries_on_after_its_database_connections_are_dropped(app, f, smtp):
    customer = f.make_customer("Acme")
    dispatcher = Dispatcher(smtp, pre_ping=False)
    try:
        queue(f, customer, 2)
        assert wait_until(lambda: len(smtp.messages) == 2), dispatcher.stop()
        assert wait_until(lambda: dispatcher.terminate_connections() > 0, 10)  # idle in its pool
        time.sleep(0.5)  # a few polls on the dead connection
        queue(f, f.make_customer("Later"), 2)
        assert wait_until(lambda: len(smtp.messages) == 4), dispatcher.stop()
        assert dispatcher.proc.poll() is None  # still running
    finally:
        output = dispatcher.stop()
    assert "Database unavailable" in output and "Database reachable again" in output, output
    assert statuses() == {"sent": 4}


@pytest.mark.parametrize("pre_ping", [False, True], ids=["no-pre-ping", "pre-ping"])
def test_a_dispatcher_losing_its_database_mid_drain_loses_and_doubles_nothing(app, f, smtp, pre_ping):
    customer = f.make_customer("Acme")
    queue(f, customer, 30, invoices=10)  # 300 emails due
    smtp.handler.delay = 0.005
    dispatcher = Dispatcher(smtp, pre_ping=pre_ping)
    try:
        for seen in (40, 120, 200):  # three drops, mid-batch
            assert wait_until(lambda seen=seen: len(smtp.messages) >= seen), dispatcher.stop()
            dispatcher.terminate_connections()
        assert wait_until(lambda: statuses() == {"sent": 300}), (statuses(), dispatcher.stop())
        assert dispatcher.proc.poll() is None  # still running
    finally:
        output = dispatcher.stop()
    delivered = Counter(message["Message-ID"] for _, message in smtp.messages)
    assert len(delivered) == 300 and set(delivered.values()) == {1}, output
