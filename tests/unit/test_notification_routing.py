"""Who receives which automatic email: every event x toggle x permission x active state.

Each case has a target contact at customer A configured by the case, a bystander at customer
A whose toggles are all off, and a fully subscribed contact at customer B. The only possible
recipient is the target, and only when its toggle is on, it holds the permission, and it is
active. Ticket emails additionally go to the ticket's own contact only.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.catalogs import NOTIFICATIONS_BY_KEY
from core.extensions import db
from core.models import ContactNotification, ContactPermission, OutboxEmail, Payment
from core.notifications import EVENTS, recipients_for
from core.notifications.notify import (
    notify_contract,
    notify_credit_note,
    notify_estimate,
    notify_invoice,
    notify_project,
    notify_task,
    notify_ticket,
)
from core.services.contacts import set_active

ALL = set(NOTIFICATIONS_BY_KEY)


def trigger(event_key: str, customer, ticket_contact):
    """Fire ``event_key`` for a fresh document of ``customer``; returns the queued rows."""
    from tests import factories as f

    if event_key.startswith("invoice") or event_key == "payment_recorded":
        invoice = f.make_invoice(customer)
        context = {"payment": Payment(amount=10, date=date.today())} if event_key == "payment_recorded" else {}
        return notify_invoice(event_key, invoice, **context)
    if event_key == "credit_note_sent":
        return notify_credit_note(event_key, f.make_credit_note(customer))
    if event_key.startswith("estimate"):
        return notify_estimate(event_key, f.make_estimate(customer))
    if event_key.startswith("contract"):
        contract = f.make_contract(customer)
        contract.end_date = date.today() + timedelta(days=3)
        return notify_contract(event_key, contract)
    if event_key.startswith("ticket"):
        return notify_ticket(event_key, f.make_ticket(customer, ticket_contact), "Reply text")
    project = f.make_project(customer, tasks=[("Visible task", True)])
    if event_key.startswith("project"):
        return notify_project(event_key, project, "detail")
    return notify_task(event_key, project.tasks[0], "detail")


NOTIFYING_EVENTS = sorted(key for key, event in EVENTS.items() if event.notification)
STATES = list(itertools.product((True, False), (True, False), (True, False)))


@pytest.mark.parametrize(
    "toggle_on, permitted, active",
    STATES,
    ids=[
        f"toggle_{'on' if t else 'off'}-perm_{'yes' if p else 'no'}-{'active' if a else 'inactive'}"
        for t, p, a in STATES
    ],
)
def test_recipients_are_exactly_the_qualifying_contacts(f, toggle_on, permitted, active):
    """For every event: the target alone receives it, iff toggle on, permitted and active."""
    customer_a, customer_b = f.make_customer("A"), f.make_customer("B")
    target = f.make_contact(customer_a, email="target@a.example", permissions=set(), notifications=set())
    f.make_contact(customer_a, email="bystander@a.example", notifications=set())
    f.make_contact(customer_b, email="other@b.example", notifications=ALL)
    # Set the case's state directly: the admin form forbids a toggle without its permission,
    # but the recipient rule must hold even for such data.
    for notification in NOTIFICATIONS_BY_KEY.values():
        if permitted and not target.can(notification.permission):
            db.session.add(ContactPermission(contact_id=target.id, permission=notification.permission))
            db.session.flush()
            db.session.expire(target)
        if toggle_on:
            db.session.add(ContactNotification(contact_id=target.id, notification=notification.key))
    db.session.commit()
    if not active:
        set_active(target, False)

    expected = ["target@a.example"] if (toggle_on and permitted and active) else []
    wrong = {}
    for event_key in NOTIFYING_EVENTS:
        rows = trigger(event_key, customer_a, ticket_contact=target)
        db.session.commit()
        stored = db.session.scalars(select(OutboxEmail.to_address).where(OutboxEmail.event == event_key)).all()
        if [row.to_address for row in rows] != expected or stored != expected:
            wrong[event_key] = stored
    assert wrong == {}, f"expected {expected} for every event"


def test_ticket_emails_go_to_the_tickets_own_contact_only(f):
    customer = f.make_customer()
    opener = f.make_contact(customer, notifications=ALL)
    colleague = f.make_contact(customer, notifications=ALL)
    ticket = f.make_ticket(customer, opener)
    rows = notify_ticket("ticket_staff_reply", ticket, "Done")
    assert [r.contact_id for r in rows] == [opener.id]
    assert colleague.id not in {r.contact_id for r in rows}
    assert notify_ticket("ticket_staff_reply", f.make_ticket(customer, None), "x") == []


def test_seed_case_five_project_contacts_only_one_gets_project_and_task_emails(f):
    customer = f.make_customer("Five contacts")
    chosen = f.make_contact(customer, permissions={"projects"}, notifications={"project", "task"})
    others = [f.make_contact(customer, permissions={"projects"}) for _ in range(4)]
    project = f.make_project(customer, tasks=[("Pour concrete", True), ("Internal review", False)])
    db.session.commit()

    emailed = {r.contact_id for r in notify_project("project_created", project)}
    emailed |= {r.contact_id for r in notify_project("project_finished", project)}
    emailed |= {r.contact_id for r in notify_task("task_created", project.tasks[0])}
    emailed |= {r.contact_id for r in notify_task("task_status_changed", project.tasks[0])}
    assert emailed == {chosen.id}
    assert not {o.id for o in others} & emailed
    # An internal task never emails the customer, whatever the toggles.
    assert notify_task("task_created", project.tasks[1]) == []


def test_seed_case_single_contact_with_invoice_toggle_off_gets_no_invoice_email(f):
    customer = f.make_customer("Solo")
    f.make_contact(customer, notifications=ALL - {"invoice"})
    invoice = f.make_invoice(customer)
    for event in ("invoice_sent", "invoice_overdue", "invoice_due_soon"):
        assert notify_invoice(event, invoice) == []
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
    assert recipients_for(customer.id, "invoice") == []


def test_inactive_customer_gets_no_notifications(f):
    customer = f.make_customer(active=False)
    f.make_contact(customer, notifications=ALL)
    assert recipients_for(customer.id, "invoice") == []


def test_every_notification_has_events_and_a_template(app):
    for key, event in EVENTS.items():
        assert app.jinja_env.get_template(f"email/{key}.html")
        assert app.url_map.is_endpoint_expecting(event.endpoint) is not None
