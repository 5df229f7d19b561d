"""Paying several open invoices at once from the list ("Pay selected"), against localstripe.

One PaymentIntent for the sum of the server's balances, booked as one payment per invoice
(``<intent>#<invoice id>``) once, whatever the webhook and the return page do; mixed currencies,
other customers' invoices and drafts are refused with nothing created; the browser's amounts
are ignored; only with the setting on and the Invoices permission.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Customer, Invoice, Payment, PaymentAttempt
from core.payments import pay_several_allowed
from core.services.reminders import REMINDER_SETTINGS
from core.services.settings import set_settings
from tests.conftest import count, login, text
from tests.http.helpers.card_payments import intent_event, payer, post_webhook, stripe_client
from tests.http.helpers.card_payments_several import (
    group_intent,
    pay_group_in_browser,
    post_group_card_form,
    post_group_return,
)


@pytest.fixture
def several_on(stripe_on):
    set_settings({"pay_several_invoices": "1"})
    return stripe_on


def two_open_invoices(f, client, currency="EUR"):
    """A logged-in contact with an invoice of 119.00 EUR and one of 50.00 with 10.00 paid."""
    me, first = payer(f, client)
    second = f.make_priced_invoice(
        db.session.get(Customer, me.customer_id),
        number=f"INV-S{uuid.uuid4().hex[:6]}",
        total="50.00",
        issued=date.today(),
        status="partially_paid",
        paid=[("10.00", date.today())],
        currency=currency,
    )
    return me, first, second


def pay_selected(client, *invoices, **form):
    data = {"form_key": uuid.uuid4().hex, "invoice": [str(i.id) for i in invoices], **form}
    return client.post("/invoices/pay-selected", data=data)


def all_attempts() -> list[PaymentAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id)))


def payments_of(invoice) -> list[Payment]:
    """The invoice's card payments (not the 10.00 paid before on the second invoice)."""
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id, Payment.kind == "card")))


def test_the_list_shows_checkboxes_and_pay_selected_only_with_the_setting_on(f, client, stripe_on):
    _me, first, second = two_open_invoices(f, client)
    paid = f.make_invoice(db.session.get(Customer, first.customer_id), status="paid")
    page = text(client.get("/invoices"))
    assert 'name="invoice"' not in page and 'data-testid="pay-selected"' not in page
    assert pay_selected(client, first, second).status_code == 404
    set_settings({"pay_several_invoices": "1"})
    page = text(client.get("/invoices"))
    assert f'name="invoice" value="{first.id}"' in page and f'name="invoice" value="{second.id}"' in page
    assert f'value="{paid.id}"' not in page
    assert 'data-testid="pay-selected"' in page and 'name="form_key"' in page and 'name="csrf_token"' in page
    set_settings({"card_payments_enabled": "0"})
    assert 'name="invoice"' not in text(client.get("/invoices"))
    assert count(PaymentAttempt) == 0


def test_paying_two_invoices_books_two_payments_once_whatever_arrives(f, client, several_on):
    _me, first, second = two_open_invoices(f, client)
    response = pay_selected(client, first, second, amount="1.00", **{f"amount_{first.id}": "1.00"})
    lead = all_attempts()[0]
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/invoices/pay-selected/{lead.id}")
    assert pay_selected(client, second, first).status_code == 303  # a second press reuses the pending group
    attempts = all_attempts()
    assert [(a.invoice_id, a.amount) for a in attempts] == [
        (first.id, Decimal("119.00")),
        (second.id, Decimal("40.00")),
    ]
    intent = group_intent(several_on, lead)
    assert (intent.amount, intent.currency) == (15900, "eur")  # the balances, not the browser's amounts
    page = text(client.get(f"/invoices/pay-selected/{lead.id}"))
    assert "159.00" in page and first.number in page and second.number in page
    assert pay_group_in_browser(several_on, lead).status == "succeeded"
    event = intent_event(several_on, lead.gateway_intent_id)
    for _ in range(3):
        assert post_webhook(client, event).status_code == 200
    assert post_group_return(client, lead).status_code == 303
    assert post_webhook(client, intent_event(several_on, lead.gateway_intent_id)).status_code == 200
    [one], [two] = payments_of(first), payments_of(second)
    assert (one.amount, one.gateway_reference) == (Decimal("119.00"), f"{intent.id}#{first.id}")
    assert (two.amount, two.gateway_reference) == (Decimal("40.00"), f"{intent.id}#{second.id}")
    db.session.expire_all()
    assert [db.session.get(Invoice, i.id).status for i in (first, second)] == ["paid", "paid"]
    assert 'name="invoice"' not in text(client.get("/invoices"))  # nothing left to select


def test_the_card_form_charges_the_group_once(f, client, several_on):
    _me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    response = post_group_card_form(client, lead)
    assert response.status_code == 303 and response.headers["Location"].endswith("/invoices")
    assert post_group_card_form(client, lead).status_code == 303  # a double click
    assert len(payments_of(first)) == 1 and len(payments_of(second)) == 1


def test_a_mismatched_amount_is_flagged_and_nothing_booked(f, client, several_on):
    _me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    pay_group_in_browser(several_on, lead)
    post_webhook(client, intent_event(several_on, lead.gateway_intent_id, amount=11900))
    assert payments_of(first) == [] and payments_of(second) == []
    assert all(a.needs_review for a in all_attempts())


def test_mixed_currencies_are_refused_and_nothing_is_created(f, client, several_on):
    _me, first, second = two_open_invoices(f, client, currency="USD")
    response = pay_selected(client, first, second)
    assert response.status_code == 303 and response.headers["Location"].endswith("/invoices")
    assert "different currencies" in text(client.get("/invoices"))
    assert all_attempts() == []


@pytest.mark.parametrize("whose", ["another customer's", "a draft", "a paid", "no such"])
def test_an_invoice_that_is_not_payable_in_the_selection_refuses_it_all(f, client, several_on, whose):
    _me, first, second = two_open_invoices(f, client)
    if whose == "another customer's":
        odd = f.make_invoice(f.make_customer("Globex"))
    elif whose == "no such":
        odd = type("Missing", (), {"id": 999999})()
    else:
        odd = f.make_invoice(db.session.get(Customer, first.customer_id), status=whose.split()[1])
    pay_selected(client, first, odd, second)
    assert all_attempts() == []
    page = text(client.get("/invoices"))
    assert "was not found" in page or "cannot be paid" in page
    assert payments_of(first) == [] and payments_of(second) == []


def test_a_projects_only_contact_gets_403(f, app, client, several_on):
    _me, first, _second = two_open_invoices(f, client)
    projects_only = f.make_contact(db.session.get(Customer, first.customer_id), permissions={"projects"})
    other = app.test_client()
    assert login(other, projects_only).status_code == 302
    assert pay_selected(other, first).status_code == 403
    assert other.get("/invoices/pay-selected/1").status_code == 403
    assert all_attempts() == []


def test_another_customers_group_page_is_a_404(f, app, client, several_on):
    _me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    stranger = f.make_contact(f.make_customer("Globex"))
    other = app.test_client()
    assert login(other, stranger).status_code == 302
    assert other.get(f"/invoices/pay-selected/{lead.id}").status_code == 404
    assert post_group_return(other, lead).status_code == 404


def test_one_payment_of_a_group_is_refunded_from_the_admin(f, client, admin_client, several_on):
    _me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    post_group_card_form(client, lead)
    [payment] = payments_of(first)
    response = admin_client.post(
        f"/admin/payments/{payment.id}/refund", data={"form_key": uuid.uuid4().hex, "amount": ""}
    )
    assert response.status_code == 303
    refunds = stripe_client(several_on).v1.refunds.list(params={"payment_intent": lead.gateway_intent_id})
    assert [r.amount for r in refunds.data] == [11900]
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == "refunded"
    assert [db.session.get(Invoice, i.id).status for i in (first, second)] == ["unpaid", "paid"]


def test_one_receipt_per_invoice_reaches_the_payer(f, client, several_on, smtp):
    me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    pay_group_in_browser(several_on, lead)
    post_webhook(client, intent_event(several_on, lead.gateway_intent_id))
    smtp.wait_for(2)
    time.sleep(0.3)
    receipts = [m for rcpts, m in smtp.messages if me.email in rcpts and "Payment received" in m["Subject"]]
    assert len(receipts) == 2
    subjects = " ".join(m["Subject"] for m in receipts)
    assert first.number in subjects and second.number in subjects


def test_the_gateways_refund_total_of_a_group_is_not_booked_twice(f, client, admin_client, several_on):
    _me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    post_group_card_form(client, lead)
    [payment] = payments_of(second)
    admin_client.post(f"/admin/payments/{payment.id}/refund", data={"form_key": uuid.uuid4().hex, "amount": "15"})
    charge = {"object": "charge", "id": "ch_x", "payment_intent": lead.gateway_intent_id, "amount_refunded": 1500}
    event = {"id": f"evt_{uuid.uuid4().hex[:20]}", "object": "event", "type": "charge.refunded"}
    response = post_webhook(client, {**event, "created": int(time.time()), "data": {"object": charge}})
    assert response.status_code == 200 and response.get_json()["outcome"] == "group"
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).refunded_amount == Decimal("15.00")
    assert db.session.get(Invoice, second.id).balance == Decimal("15.00")


def test_another_selection_replaces_the_pending_group(f, client, several_on):
    _me, first, second = two_open_invoices(f, client)
    third = f.make_invoice(db.session.get(Customer, first.customer_id))
    pay_selected(client, first, second)
    pay_selected(client, first, third)
    attempts = all_attempts()
    assert [a.status for a in attempts] == ["canceled", "canceled", "pending", "pending"]
    assert {a.invoice_id for a in attempts[2:]} == {first.id, third.id}
    assert attempts[0].gateway_intent_id != attempts[2].gateway_intent_id


@pytest.mark.parametrize("values", [[], ["x"], ["-1"], [str(n) for n in range(1, 60)]])
def test_a_bad_selection_is_refused_with_a_message(f, client, several_on, values):
    two_open_invoices(f, client)
    response = client.post("/invoices/pay-selected", data={"form_key": uuid.uuid4().hex, "invoice": values})
    assert response.status_code == 303
    assert "Select" in text(client.get("/invoices"))
    assert all_attempts() == []


def test_one_selected_invoice_is_that_invoices_own_pay(f, client, several_on):
    _me, first, _second = two_open_invoices(f, client)
    response = pay_selected(client, first)
    assert response.headers["Location"].endswith(f"/invoices/{first.id}/pay/card")
    [attempt] = all_attempts()
    assert not attempt.in_group and attempt.amount == Decimal("119.00")


def test_administrators_switch_pay_selected_on_the_settings_page(admin_client, stripe_on):
    page = text(admin_client.get("/admin/settings"))
    assert "Contacts may pay several open invoices at once" in page and 'name="pay_several_invoices"' in page
    assert not pay_several_allowed()  # off by default
    form = {"card_payments_enabled": "y", "pay_several_invoices": "y", "form_key": uuid.uuid4().hex}
    form |= {key: default for key, (default, _label) in REMINDER_SETTINGS.items()}
    assert admin_client.post("/admin/settings", data=form).status_code == 302
    assert pay_several_allowed()


def test_a_group_attempt_cannot_be_posted_to_one_invoices_card_form(f, client, several_on):
    _me, first, second = two_open_invoices(f, client)
    pay_selected(client, first, second)
    lead = all_attempts()[0]
    data = {"form_key": uuid.uuid4().hex, "attempt": lead.id, "payment_method": "pm_card_visa"}
    assert client.post(f"/invoices/{first.id}/pay/confirm", data=data).status_code == 404
    assert group_intent(several_on, lead).status != "succeeded" and payments_of(first) == []
