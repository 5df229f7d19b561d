"""Every webhook event of the catalog is queued by the real service action that causes it, once,
in that action's transaction; nothing is queued when nothing changed or the action is refused.

The table ``ACTIONS`` has one entry per event of ``core.webhooks.events.WEBHOOK_EVENTS``: a new
event without an action here fails ``test_every_event_of_the_catalog_has_an_action``.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.extensions import db
from core.models import Contact, Customer, StaffUser, WebhookDelivery
from core.services import ServiceError
from core.services.contacts import set_active, set_own_notifications, update_contact
from core.services.decisions import decide, sign_contract
from core.services.documents import LineData, SalesData, create_sales_document
from core.services.invoices import record_payment
from core.services.projects.lifecycle import set_project_status
from core.services.sending import send_document
from core.services.tickets import DEFAULT_DEPARTMENT, add_contact_reply, add_staff_reply, open_ticket
from core.webhooks.events import WEBHOOK_EVENTS


@dataclass
class World:
    customer: Customer
    contact: Contact
    admin: StaffUser


def queued() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _new_invoice(w: World, f):
    data = SalesData(date=date.today(), status="draft", lines=[LineData("Work", 1, 100)])
    return create_sales_document("invoice", w.customer.id, data, actor=w.admin)


def _ticket(w: World, f):
    return f.make_ticket(w.customer, w.contact)


# event -> (setup(world, f) -> object, action(world, object), id the payload's data carries)
ACTIONS: dict[str, tuple[Callable, Callable[[World, object], object]]] = {
    "contact.created": (lambda w, f: None, lambda w, _: f_contact(w)),
    "contact.updated": (
        lambda w, f: w.contact,
        lambda w, c: update_contact(c, _data(c, phone="+49 30 1234"), actor=w.admin),
    ),
    "contact.access_changed": (lambda w, f: w.contact, lambda w, c: set_active(c, False, actor=w.admin)),
    "invoice.created": (lambda w, f: None, lambda w, _: _new_invoice(w, None)),
    "invoice.sent": (
        lambda w, f: f.make_invoice(w.customer, status="draft"),
        lambda w, inv: send_document(DOCUMENT_KINDS_BY_KEY["invoice"], inv, {w.contact.id}, attach_pdf=False),
    ),
    "invoice.paid": (
        lambda w, f: f.make_invoice(w.customer),
        lambda w, inv: record_payment(inv, inv.balance, _today()),
    ),
    "payment.received": (lambda w, f: f.make_invoice(w.customer), lambda w, inv: record_payment(inv, "10", _today())),
    "estimate.accepted": (
        lambda w, f: f.make_estimate(w.customer),
        lambda w, e: decide(e, w.contact, accept=True, signer_name="Anna Acme", ip="192.0.2.1", today=_today()),
    ),
    "estimate.declined": (
        lambda w, f: f.make_estimate(w.customer),
        lambda w, e: decide(e, w.contact, accept=False, signer_name=None, ip="192.0.2.1", today=_today()),
    ),
    "proposal.accepted": (
        lambda w, f: f.make_proposal(w.customer),
        lambda w, p: decide(p, w.contact, accept=True, signer_name="Anna Acme", ip="192.0.2.1", today=_today()),
    ),
    "proposal.declined": (
        lambda w, f: f.make_proposal(w.customer),
        lambda w, p: decide(p, w.contact, accept=False, signer_name=None, ip="192.0.2.1", today=_today()),
    ),
    "contract.signed": (
        lambda w, f: f.make_contract(w.customer),
        lambda w, c: sign_contract(c, w.contact, signer_name="Anna Acme", ip="192.0.2.1"),
    ),
    "ticket.opened": (
        lambda w, f: None,
        lambda w, _: open_ticket(
            w.contact,
            subject="Printer",
            department=DEFAULT_DEPARTMENT,
            priority="medium",
            message="It is on fire.",
            submission_key=uuid.uuid4().hex,
        ),
    ),
    "ticket.replied": (_ticket, lambda w, t: add_staff_reply(t, w.admin, "Have you tried water?", notify=False)),
    "project.status_changed": (
        lambda w, f: f.make_project(w.customer),
        lambda w, p: set_project_status(p, "finished", notify=False),
    ),
}


def _today() -> date:
    return date.today()


def _data(contact, **changes):
    from tests.factories import contact_data

    return contact_data(contact, **changes)


def f_contact(w: World):
    from tests.factories import make_contact

    return make_contact(w.customer, email="new.colleague@acme.example")


@pytest.fixture
def world(f) -> World:
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer, email="anna@acme.example", first_name="Anna")
    admin = db.session.get(StaffUser, f.make_staff(email="admin@example.com").id)
    admin.is_admin = True
    db.session.commit()
    return World(customer, contact, admin)


def test_every_event_of_the_catalog_has_an_action():
    assert set(ACTIONS) == set(WEBHOOK_EVENTS)


@pytest.mark.parametrize("event", list(WEBHOOK_EVENTS))
def test_each_event_is_queued_once_by_its_real_action(app, f, world, event):
    setup, action = ACTIONS[event]
    subject = setup(world, f)
    endpoint = f.make_webhook_endpoint(url="https://127.0.0.1/hooks")  # every event; never sent here
    before = len(queued())

    result = action(world, subject)

    new = queued()[before:]
    of_event = [d for d in new if d.event == event]
    assert len(of_event) == 1, Counter(d.event for d in new)
    [delivery] = of_event
    assert delivery.endpoint_id == endpoint.id and delivery.status == "pending"
    assert delivery.message_id.startswith("msg_") and len(delivery.message_id) == 36
    body = json.loads(delivery.payload)
    assert set(body) == {"type", "timestamp", "data"} and body["type"] == event
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    obj = subject if subject is not None else result
    if event in ("payment.received",):
        assert data["invoice_id"] == subject.id and data["amount"] == "10.00"
    else:
        assert data["id"] == obj.id
    assert data["customer_id"] == world.customer.id
    assert data["url"].startswith(app.config["PUBLIC_BASE_URL"]) if "url" in data else event.startswith("contact.")
    # Amounts are strings with two decimals, never floats.
    for key in ("total", "amount", "balance", "value"):
        if key in data:
            assert isinstance(data[key], str) and data[key].count(".") == 1, (key, data[key])


def test_an_endpoint_only_gets_the_events_it_subscribed_to_and_an_inactive_one_none(app, f, world):
    wanted = f.make_webhook_endpoint(url="https://127.0.0.1/a", events={"project.status_changed"})
    f.make_webhook_endpoint(url="https://127.0.0.1/b", events={"ticket.opened"})
    f.make_webhook_endpoint(url="https://127.0.0.1/c", events={"project.status_changed"}, active=False)
    set_project_status(f.make_project(world.customer), "on_hold", notify=False)
    assert [(d.endpoint_id, d.event) for d in queued()] == [(wanted.id, "project.status_changed")]


def test_two_endpoints_get_their_own_message_ids_for_one_change(app, f, world):
    f.make_webhook_endpoint(url="https://127.0.0.1/a")
    f.make_webhook_endpoint(url="https://127.0.0.1/b")
    set_project_status(f.make_project(world.customer), "on_hold", notify=False)
    rows = queued()
    assert len(rows) == 2 and len({r.message_id for r in rows}) == 2
    assert rows[0].payload == rows[1].payload


def test_nothing_is_queued_when_nothing_changes(app, f, world):
    f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    project = f.make_project(world.customer)
    contact = world.contact
    before = len(queued())
    set_project_status(project, project.status, notify=False)
    update_contact(contact, _data(contact), actor=world.admin)
    set_active(contact, True, actor=world.admin)  # already active
    set_own_notifications(contact, set(contact.notifications))
    assert len(queued()) == before


def test_a_contact_change_reports_what_changed(app, f, world):
    f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    contact = world.contact
    before = len(queued())
    update_contact(
        contact,
        _data(contact, last_name="Acme-Smith", permissions={"invoices"}, notifications={"invoice"}),
        actor=world.admin,
    )
    events = {d.event: json.loads(d.payload)["data"] for d in queued()[before:]}
    assert set(events) == {"contact.updated", "contact.access_changed"}
    assert events["contact.updated"]["changed"] == ["last_name"]
    assert events["contact.access_changed"]["changed"] == ["permissions", "notifications"]
    assert events["contact.access_changed"]["permissions"] == ["invoices"]


def test_a_refused_action_queues_nothing(app, f, world):
    f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    estimate = f.make_estimate(world.customer)
    decide(estimate, world.contact, accept=False, signer_name=None, ip=None, today=_today())
    before = len(queued())
    with pytest.raises(ServiceError):
        decide(estimate, world.contact, accept=True, signer_name="Anna", ip=None, today=_today())
    invoice = f.make_invoice(world.customer)
    with pytest.raises(ServiceError):
        record_payment(invoice, invoice.balance + 1, _today())
    db.session.rollback()
    assert len(queued()) == before


def test_a_contact_reply_to_a_ticket_is_reported_with_its_author(app, f, world):
    f.make_webhook_endpoint(url="https://127.0.0.1/hooks", events={"ticket.replied"})
    ticket = f.make_ticket(world.customer, world.contact)
    reply = add_contact_reply(ticket, world.contact, "Still burning.")
    [delivery] = queued()
    data = json.loads(delivery.payload)["data"]
    assert data["reply"] == {
        "id": reply.id,
        "author": "contact",
        "contact_id": world.contact.id,
        "staff_id": None,
        "created_at": data["reply"]["created_at"],
    }
    assert data["status"] == "open"


# -- the other paths to the same events --------------------------------------------------------------


def events_since(before: int) -> list[str]:
    return [d.event for d in queued()[before:]]


def test_a_card_payment_booked_from_the_gateway_is_reported_like_a_staff_payment(app, f, world):
    from core.models import PaymentAttempt
    from core.payments.booking import BOOKED, book_intent
    from core.payments.gateway import Intent, to_minor

    f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    invoice = f.make_invoice(world.customer)
    attempt = PaymentAttempt(
        invoice_id=invoice.id,
        contact_id=world.contact.id,
        gateway="stripe",
        intent_id="pi_webhook_test",
        amount=invoice.balance,
        currency=invoice.currency,
    )
    db.session.add(attempt)
    db.session.commit()
    before = len(queued())
    intent = Intent("pi_webhook_test", "succeeded", to_minor(invoice.balance, invoice.currency), invoice.currency)

    assert book_intent(intent, "stripe") == BOOKED
    db.session.commit()

    assert events_since(before) == ["payment.received", "invoice.paid"]
    data = json.loads(queued()[before].payload)["data"]
    assert data["kind"] == "card" and data["invoice_id"] == invoice.id and data["invoice_status"] == "paid"


def test_staff_recording_a_decision_or_converting_an_estimate_are_reported(app, f, world):
    from core.services.documents import convert_estimate, update_sales_document
    from core.services.documents.agreements import ProposalData, update_proposal

    f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    estimate = f.make_estimate(world.customer)
    before = len(queued())
    data = SalesData(date=estimate.date, status="accepted", lines=[LineData("Work", 2, 50, 19)])
    update_sales_document(estimate, data, actor=world.admin)
    assert events_since(before) == ["estimate.accepted"]

    before = len(queued())
    invoice = convert_estimate(estimate, actor=world.admin)
    assert events_since(before) == ["invoice.created"]
    assert convert_estimate(estimate, actor=world.admin).id == invoice.id  # the same invoice, no new event
    assert events_since(before) == ["invoice.created"]

    proposal = f.make_proposal(world.customer)
    before = len(queued())
    update_proposal(
        proposal,
        ProposalData(proposal.subject, "Offer", Decimal("0"), proposal.date, None, "declined"),
        actor=world.admin,
    )
    assert events_since(before) == ["proposal.declined"]


def test_a_contacts_own_preferences_and_one_click_unsubscribe_are_access_changes(app, f, world):
    from core.services.contacts import unsubscribe

    f.make_webhook_endpoint(url="https://127.0.0.1/hooks", events={"contact.access_changed"})
    contact = world.contact
    set_own_notifications(contact, {"invoice", "ticket"})
    assert unsubscribe(contact, "ticket") is True
    assert unsubscribe(contact, "ticket") is False  # already off: nothing changes
    payloads = [json.loads(d.payload)["data"] for d in queued()]
    assert [p["notifications"] for p in payloads] == [["invoice", "ticket"], ["invoice"]]
