"""Stripe's webhook (``/webhooks/stripe``) with events signed as Stripe signs them, for intents
that live in localstripe: each payment is booked once whatever arrives when; forged or replayed
posts book nothing; mismatches and unknown intents are flagged, never booked; receipts follow
the recipient rule plus the paying contact."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from sqlalchemy import select

from core.extensions import db
from core.models import ContactNotification, GatewayEvent, Invoice, Payment, PaymentAttempt
from tests.conftest import count, login
from tests.http.helpers.card_payments import (
    attempts,
    intent_event,
    pay_in_browser,
    payer,
    post_return,
    post_webhook,
    press_pay,
    stripe_client,
)


def paid_attempt(f, client, localstripe, **contact):
    """A contact pressed Pay and the browser confirmed the card at the gateway."""
    me, invoice = payer(f, client, **contact)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    assert pay_in_browser(localstripe, attempt).status == "succeeded"
    return me, invoice, attempt


def booked(invoice) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)))


def test_the_webhook_books_one_payment_however_often_it_arrives(f, client, stripe_on):
    _me, invoice, attempt = paid_attempt(f, client, stripe_on)
    event = intent_event(stripe_on, attempt.intent_id)
    for _ in range(3):
        response = post_webhook(client, event)
        assert response.status_code == 200
    assert post_webhook(client, intent_event(stripe_on, attempt.intent_id)).status_code == 200  # a new event id
    [payment] = booked(invoice)
    assert (payment.amount, payment.gateway_reference, payment.status) == (
        Decimal("119.00"),
        attempt.intent_id,
        "succeeded",
    )
    assert db.session.get(Invoice, invoice.id).status == "paid"
    assert count(GatewayEvent) == 2


def test_return_page_then_webhook_books_one(f, client, stripe_on):
    _me, invoice, attempt = paid_attempt(f, client, stripe_on)
    post_return(client, invoice, attempt)
    assert post_webhook(client, intent_event(stripe_on, attempt.intent_id)).json["outcome"] == "already_booked"
    assert len(booked(invoice)) == 1


def test_webhook_then_return_page_books_one(f, client, stripe_on):
    _me, invoice, attempt = paid_attempt(f, client, stripe_on)
    assert post_webhook(client, intent_event(stripe_on, attempt.intent_id)).json["outcome"] == "booked"
    post_return(client, invoice, attempt)
    assert len(booked(invoice)) == 1
    assert db.session.get(Invoice, invoice.id).amount_paid == Decimal("119.00")


def test_a_forged_or_replayed_webhook_books_nothing(f, client, stripe_on):
    _me, invoice, attempt = paid_attempt(f, client, stripe_on)
    event = intent_event(stripe_on, attempt.intent_id)
    assert post_webhook(client, event, secret="whsec_not_ours").status_code == 400
    assert post_webhook(client, event, timestamp=int(time.time()) - 3600).status_code == 400  # replayed
    unsigned = client.post("/webhooks/stripe", json=event)
    assert unsigned.status_code == 400
    assert booked(invoice) == [] and count(GatewayEvent) == 0


def test_a_mismatched_amount_or_currency_is_flagged_not_booked(f, client, stripe_on):
    _me, invoice, attempt = paid_attempt(f, client, stripe_on)
    assert post_webhook(client, intent_event(stripe_on, attempt.intent_id, amount=100)).json["outcome"] == "flagged"
    assert post_webhook(client, intent_event(stripe_on, attempt.intent_id, currency="usd")).json["outcome"] == "flagged"
    post_return(client, invoice, attempt)  # the flag holds for the return page too
    assert booked(invoice) == []
    [flagged] = attempts(invoice)
    assert flagged.needs_review and "expected 119.00 EUR" in flagged.review_reason
    assert db.session.get(Invoice, invoice.id).status == "unpaid"


def test_an_intent_no_invoice_asked_for_is_flagged(f, client, stripe_on):
    payer(f, client)
    stranger = stripe_client(stripe_on).v1.payment_intents.create(
        params={"amount": 5000, "currency": "eur", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert post_webhook(client, intent_event(stripe_on, stranger.id)).json["outcome"] == "flagged"
    flagged = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.intent_id == stranger.id))
    assert flagged.invoice_id is None and flagged.needs_review and flagged.amount == Decimal("50.00")
    assert count(Payment) == 0


def test_a_failed_payment_updates_the_attempt_and_books_nothing(f, client, stripe_on):
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    event = intent_event(
        stripe_on, attempt.intent_id, "payment_intent.payment_failed", last_payment_error={"code": "card_declined"}
    )
    assert post_webhook(client, event).json["outcome"] == "failed"
    assert attempts(invoice)[0].status == "failed" and booked(invoice) == []


def test_a_refund_reported_by_stripe_updates_the_payment(f, client, stripe_on):
    _me, invoice, attempt = paid_attempt(f, client, stripe_on)
    post_webhook(client, intent_event(stripe_on, attempt.intent_id))
    refund = {"object": "charge", "id": "ch_x", "payment_intent": attempt.intent_id, "amount_refunded": 1900}
    event = {"id": "evt_refund_1", "object": "event", "type": "charge.refunded", "created": int(time.time())}
    event["data"] = {"object": refund}
    assert post_webhook(client, event).json["outcome"] == "booked"
    assert post_webhook(client, {**event, "id": "evt_refund_2"}).json["outcome"] == "already_booked"
    [payment] = booked(invoice)
    assert (payment.refunded_amount, payment.status) == (Decimal("19.00"), "partially_refunded")
    again = db.session.get(Invoice, invoice.id)
    assert (again.status, again.balance) == ("partially_paid", Decimal("19.00"))


def test_without_stripe_the_webhook_does_not_exist(client):
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 404


def test_receipts_follow_the_recipient_rule_plus_the_payer(f, client, stripe_on, smtp):
    f.make_staff(email="boss@example.com")
    me, invoice, attempt = paid_attempt(f, client, stripe_on, email="payer@acme.example", notifications=set())
    customer = me.customer
    f.make_contact(customer, email="books@acme.example", notifications={"invoice"})
    nosy = f.make_contact(customer, email="nosy@acme.example", permissions={"projects"})
    db.session.add(ContactNotification(contact_id=nosy.id, notification="invoice"))  # toggle on, no permission
    db.session.commit()
    f.make_contact(customer, email="quiet@acme.example", notifications=set())
    f.make_contact(f.make_customer("Globex"), email="other@globex.example", notifications={"invoice"})
    post_webhook(client, intent_event(stripe_on, attempt.intent_id))
    smtp.wait_for(3)
    time.sleep(0.3)
    receipts = sorted(a for rcpts, m in smtp.messages for a in rcpts if "Payment received" in m["Subject"])
    assert receipts == ["books@acme.example", "payer@acme.example"]
    assert smtp.to("boss@example.com") and "paid" in smtp.to("boss@example.com")[0]["Subject"]
    assert len(smtp.messages) == 3


def test_webhooks_and_returns_at_the_same_moment_book_one_payment(app, f, client, stripe_on):
    me, invoice, attempt = paid_attempt(f, client, stripe_on)
    second = app.test_client()
    login(second, me)
    events = [intent_event(stripe_on, attempt.intent_id) for _ in range(2)]
    start, statuses = threading.Barrier(4), []

    def webhook(event):
        start.wait()
        statuses.append(post_webhook(app.test_client(), event).status_code)

    def back(browser):
        start.wait()
        statuses.append(post_return(browser, invoice, attempt).status_code)

    threads = [threading.Thread(target=webhook, args=(e,)) for e in events]
    threads += [threading.Thread(target=back, args=(b,)) for b in (client, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200, 200, 303, 303]
    assert len(booked(invoice)) == 1
    assert db.session.get(Invoice, invoice.id).amount_paid == Decimal("119.00")
