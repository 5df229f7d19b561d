"""Delivering webhooks to a real receiver on loopback (tests/webhook_receiver.py), which verifies
each signature with the ``standardwebhooks`` package and counts requests per ``webhook-id``.

Retries are made due by running the dispatcher "later" (its ``now``), never by waiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import WebhookDelivery, WebhookEndpoint, utcnow
from core.services.projects.lifecycle import set_project_status
from core.webhooks.dispatch import deliver_all
from tests.conftest import run_together

ROOT = Path(__file__).resolve().parents[2]


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    db.session.commit()
    return list(rows)


def later(seconds: float):
    return utcnow() + timedelta(seconds=seconds)


def queue_events(f, count: int) -> list[str]:
    """``count`` real events (``project.status_changed``), committed; their message ids."""
    customer = f.make_customer()
    for i in range(count):
        project = f.make_project(customer, name=f"P{i}")
        set_project_status(project, "on_hold" if i % 2 == 0 else "finished", notify=False)
    return [d.message_id for d in deliveries()]


def test_a_delivery_is_signed_and_verified_by_the_receiver(app, f, receiver):
    endpoint = f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    project = f.make_project(f.make_customer())
    set_project_status(project, "finished", notify=False)
    [queued] = deliveries()
    assert queued.status == "pending" and queued.message_id.startswith("msg_")

    result = deliver_all()

    assert result.delivered == 1
    assert receiver.accepted_counts() == {queued.message_id: 1}
    [payload] = receiver.payloads()
    assert payload["type"] == "project.status_changed"
    assert payload["data"]["id"] == project.id and payload["data"]["status"] == "finished"
    assert payload["data"]["previous_status"] == "in_progress"
    headers = receiver.headers[0]
    assert headers["webhook-id"] == queued.message_id
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"
    [done] = deliveries()
    assert (done.status, done.attempts, done.last_status_code) == ("delivered", 1, 200)
    assert done.delivered_at is not None and done.endpoint_id == endpoint.id


def test_a_receiver_with_another_secret_refuses_and_the_delivery_is_retried(app, f, receiver):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    receiver.secret = "whsec_" + "A" * 43 + "="  # not the endpoint's: the signature cannot match
    queue_events(f, 1)

    result = deliver_all()

    assert (result.delivered, result.retried) == (0, 1)
    assert receiver.accepted == [] and receiver.seen[0][1:] == (400, False)
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 400)


def test_a_receiver_answering_500_then_200_gets_the_message_exactly_twice(app, f, receiver):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    [message_id] = queue_events(f, 1)
    receiver.fail_next(1, 500)

    first = deliver_all()
    assert (first.delivered, first.retried) == (0, 1)
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
    assert row.next_attempt_at > utcnow() and "HTTP 500" in row.last_error
    assert deliver_all().handled == 0  # not due again before its backoff

    second = deliver_all(now=later(6))  # past the first retry wait (5 s)
    assert second.delivered == 1
    assert deliver_all(now=later(3600)).handled == 0  # nothing more, ever
    assert receiver.requests_for(message_id) == 2  # the same webhook-id both times
    assert receiver.accepted_counts() == {message_id: 1}
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("delivered", 2, 200, "")


def test_a_delivery_fails_after_the_last_attempt(app, f, receiver):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    [message_id] = queue_events(f, 1)
    receiver.fail_next(10, 503)
    for hours in (0, 1, 2, 3, 4):
        deliver_all(now=later(hours * 3600))
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 503)
    assert receiver.requests_for(message_id) == 3


def test_an_unreachable_receiver_is_retried(app, f, receiver):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    queue_events(f, 1)
    receiver.stop()  # nothing listens on the port any more

    result = deliver_all()

    assert result.retried == 1
    [row] = deliveries()
    assert row.status == "pending" and row.last_status_code is None and "No answer" in row.last_error


def test_an_inactive_endpoint_keeps_its_deliveries_until_it_is_active_again(app, f, receiver):
    endpoint = f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    queue_events(f, 1)
    endpoint.active = False
    db.session.commit()
    assert deliver_all().handled == 0 and receiver.seen == []
    endpoint.active = True
    db.session.commit()
    assert deliver_all().delivered == 1


# -- SSRF at delivery time -------------------------------------------------------------------------


def test_a_loopback_endpoint_is_refused_at_delivery_once_loopback_is_not_allowed(app, f, receiver):
    # Saved while allowed (the tests' setting); the rule is checked again before every request.
    f.make_webhook_endpoint(receiver, url=f"http://localhost:{receiver.port}/hooks", events={"project.status_changed"})
    queue_events(f, 1)
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False

    result = deliver_all()

    assert result.failed == 1 and receiver.seen == []
    [row] = deliveries()
    assert row.status == "failed" and row.attempts == 1 and row.last_status_code is None
    assert "localhost" in row.last_error and "loopback" in row.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.7/hooks",
        "http://192.168.1.20:8080/hooks",
        "http://172.16.5.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0:9/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
    ],
)
def test_an_endpoint_that_now_points_inside_is_refused_at_delivery_without_a_request(app, f, url):
    # A row changed behind the form's back (or a DNS answer that changed): never contacted.
    endpoint = f.make_webhook_endpoint(url="http://127.0.0.1:9/", events={"project.status_changed"})
    queue_events(f, 1)
    db.session.execute(WebhookEndpoint.__table__.update().values(url=url))
    db.session.commit()

    result = deliver_all()

    assert result.failed == 1
    [row] = deliveries()
    assert row.status == "failed" and "not a public address" in row.last_error, row.last_error
    assert endpoint.id == row.endpoint_id


# -- several dispatchers ---------------------------------------------------------------------------


def test_three_dispatchers_at_once_deliver_every_message_exactly_once(app, f, receiver):
    app.config["WEBHOOK_BATCH_SIZE"] = 3  # many small batches: the dispatchers interleave
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    message_ids = queue_events(f, 24)
    assert len(message_ids) == 24

    results, errors = [], []
    start = threading.Barrier(3)

    def run():
        try:
            with app.app_context():
                start.wait()
                results.append(deliver_all())
                db.session.remove()
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    run_together(run, 3, timeout=60)

    assert not errors, errors
    assert sum(r.delivered for r in results) == 24
    assert receiver.accepted_counts() == dict.fromkeys(message_ids, 1)
    assert len(receiver.seen) == 24  # no request sent twice
    assert {row.status for row in deliveries()} == {"delivered"}


def test_a_dispatcher_killed_mid_request_loses_nothing_and_its_message_keeps_its_id(app, f, receiver, tmp_path):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    message_ids = queue_events(f, 5)
    receiver.hold()  # the first request waits, unanswered
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "k" * 40,
        "WEBHOOKS_ALLOW_LOOPBACK": "1",
        "MAIL_FLUSH_AFTER_REQUEST": "0",
    }
    with open(tmp_path / "dispatcher.log", "w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "flask", "webhook-dispatch", "--loop", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert receiver.held.wait(60), (tmp_path / "dispatcher.log").read_text()
        finally:
            process.send_signal(signal.SIGKILL)  # mid-request: no chance to record anything
            process.wait(30)
    receiver.fail_next(1, 503)  # the held request's late answer reaches nobody
    receiver.release()
    assert receiver.wait_answered(1)

    in_flight = receiver.headers[0]["webhook-id"]
    claimed = [row for row in deliveries() if row.status == "sending"]
    assert in_flight in {row.message_id for row in claimed}
    # Its claim is still live: another dispatcher leaves the claimed rows alone...
    deliver_all()
    assert all(row.status == "sending" for row in deliveries() if row.message_id in {c.message_id for c in claimed})
    # ...until the claim has expired: then everything is delivered, once.
    deliver_all(now=later(app.config["WEBHOOK_LEASE_SECONDS"] + 1))

    assert {row.status for row in deliveries()} == {"delivered"}
    assert receiver.accepted_counts() == dict.fromkeys(message_ids, 1)
    assert receiver.requests_for(in_flight) == 2  # sent again with the same webhook-id
    assert all(receiver.requests_for(other) == 1 for other in message_ids if other != in_flight)


# -- one dispatcher for emails and webhooks ----------------------------------------------------------


def test_the_mail_dispatcher_command_delivers_webhooks_too(app, f, receiver):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    message_ids = queue_events(f, 2)
    result = app.test_cli_runner().invoke(args=["mail-dispatch"])
    assert result.exit_code == 0, result.output
    assert "Webhooks: delivered 2, retried later 0, failed 0" in result.output
    assert receiver.accepted_counts() == dict.fromkeys(message_ids, 1)


def test_the_mail_dispatcher_loop_delivers_webhooks_in_every_round(app, f, receiver):
    from core.mail.dispatch import run_forever

    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    message_ids = queue_events(f, 3)

    def stop_after_the_round(_seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_forever(0.1, None, lambda batch: None, sleep=stop_after_the_round, also=deliver_all)
    assert receiver.accepted_counts() == dict.fromkeys(message_ids, 1)


def test_a_redirect_is_not_followed_but_retried(app, f, receiver):
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    [message_id] = queue_events(f, 1)
    receiver.fail_next(1, 302)
    assert deliver_all().retried == 1
    [row] = deliveries()
    assert (row.status, row.last_status_code) == ("pending", 302)
    assert receiver.requests_for(message_id) == 1


def test_a_receiver_that_does_not_answer_in_time_is_retried(app, f, receiver):
    app.config["WEBHOOK_TIMEOUT"] = 0.5
    f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    queue_events(f, 1)
    receiver.hold()
    try:
        result = deliver_all()
    finally:
        receiver.release()
    assert result.retried == 1
    [row] = deliveries()
    assert row.status == "pending" and row.last_status_code is None and "timed out" in row.last_error.lower()


def test_a_url_with_non_ascii_characters_is_delivered_percent_encoded(app, f, receiver):
    f.make_webhook_endpoint(
        receiver, url=f"http://127.0.0.1:{receiver.port}/hööks?tag=grüße", events={"project.status_changed"}
    )
    queue_events(f, 1)
    assert deliver_all().delivered == 1
    assert receiver.paths == ["/h%C3%B6%C3%B6ks?tag=gr%C3%BC%C3%9Fe"]
