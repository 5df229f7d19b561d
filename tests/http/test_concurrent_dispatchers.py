"""Several dispatchers against one outbox: every email is sent exactly once.

On PostgreSQL the dispatchers claim rows with FOR UPDATE SKIP LOCKED and really run at the
same time (threads, each with its own app context and connection). On SQLite, writers are
serialised by the database, which gives the same guarantee; the test runs there too.
"""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from core.extensions import db
from core.mail.dispatch import dispatch_all
from core.models import OutboxEmail
from core.notifications.notify import notify_invoice
from tests.conftest import run_together


def test_two_dispatchers_send_every_email_exactly_once(app, f, smtp):
    app.config["MAIL_BATCH_SIZE"] = 7  # many small batches: the dispatchers interleave
    customer = f.make_customer()
    contacts = [f.make_contact(customer, email=f"c{i}@acme.example", notifications={"invoice"}) for i in range(6)]
    for _ in range(20):
        notify_invoice("invoice_sent", f.make_invoice(customer))
    db.session.commit()
    total = db.session.scalar(select(func.count(OutboxEmail.id)))
    assert total == 120

    results, errors = [], []
    start = threading.Barrier(3)

    def run():
        try:
            with app.app_context():
                start.wait()
                results.append(dispatch_all())
                db.session.remove()
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    run_together(run, 3, timeout=60)
    assert not errors, errors
    assert sum(r.sent for r in results) == total
    assert all(r.sent > 0 for r in results) or db.engine.dialect.name == "sqlite"

    delivered = Counter(message["Message-ID"] for _, message in smtp.messages)
    assert len(delivered) == total and set(delivered.values()) == {1}
    db.session.expire_all()
    assert set(db.session.scalars(select(OutboxEmail.status))) == {"sent"}
    assert {rcpts[0] for rcpts, _ in smtp.messages} == {c.email for c in contacts}
