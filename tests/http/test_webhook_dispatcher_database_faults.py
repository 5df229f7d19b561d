"""A running ``flask webhook-dispatch --loop`` (a real process) survives its PostgreSQL connections
being terminated (a database restart or failover): it rolls back, reconnects with backoff and
carries on; every webhook reaches the receiver exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.extensions import db
from core.models import WebhookDelivery
from core.services.projects.lifecycle import set_project_status

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="terminates PostgreSQL backends"
)


def wait_until(condition, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def statuses() -> dict[str, int]:
    db.session.expire_all()
    rows = db.session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all()
    db.session.commit()
    return dict(rows)


def queue(f, count: int) -> None:
    customer = f.make_customer()
    for i in range(count):
        set_project_status(f.make_project(customer, name=f"P{i}"), "on_hold", notify=False)


def test_a_webhook_dispatcher_carries_on_after_its_database_connections_are_dropped(app, f, receiver):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    name = f"webhook-dispatch-test-{uuid.uuid4().hex[:8]}"
    url = os.environ["DATABASE_URL"]
    env = {
        **os.environ,
        "DATABASE_URL": url + ("&" if "?" in url else "?") + f"application_name={name}",
        "SECRET_KEY": "k" * 40,
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "flask", "webhook-dispatch", "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def terminate() -> int:
        killed = db.session.scalar(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": name},
        )
        db.session.commit()
        return killed

    try:
        queue(f, 3)
        assert wait_until(lambda: statuses() == {"delivered": 3})
        assert wait_until(lambda: terminate() > 0, 10)  # idle in its pool
        time.sleep(0.5)  # a few polls on the dead connection
        queue(f, 3)
        assert wait_until(lambda: statuses() == {"delivered": 6})
        assert process.poll() is None  # still running
    finally:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    assert "Database unavailable" in output and "Database reachable again" in output, output
    assert sorted(receiver.accepted_counts().values()) == [1] * 6
