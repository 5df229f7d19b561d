"""Staff and card payments: each payment shows its method and gateway reference, administrators
refund card payments (in full or in part) through the gateway (localstripe), the payments list
filters, and the settings page shows whether Stripe is configured without showing any key."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.extensions import db
from core.models import Invoice, Payment
from core.payments import card_payment_options
from core.services.accounts import create_staff
from core.services.invoices import record_payment
from core.services.reminders import REMINDER_SETTINGS
from core.services.statements import account_statement
from tests.conftest import text
from tests.factories import PASSWORD
from tests.http.attack_helpers import login_staff
from tests.http.helpers.card_payments import attempts, pay_in_browser, payer, post_return, press_pay, stripe_client


def card_payment(f, client, localstripe) -> tuple[Invoice, Payment]:
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    pay_in_browser(localstripe, attempt)
    post_return(client, invoice, attempt)
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id), db.session.scalar(select(Payment))


def refund(admin_client, payment, amount=""):
    return admin_client.post(
        f"/admin/payments/{payment.id}/refund", data={"form_key": uuid.uuid4().hex, "amount": amount}
    )


def test_the_invoice_shows_method_and_gateway_reference(f, client, admin_client, stripe_on):
    invoice, payment = card_payment(f, client, stripe_on)
    page = text(admin_client.get(f"/admin/invoices/{invoice.id}"))
    assert payment.gateway_reference in page and "Card" in page and 'data-testid="refund"' in page


def test_partial_then_full_refund_through_the_gateway(f, client, admin_client, stripe_on):
    invoice, payment = card_payment(f, client, stripe_on)
    assert refund(admin_client, payment, "19.00").status_code == 303
    db.session.expire_all()
    payment, invoice = db.session.get(Payment, payment.id), db.session.get(Invoice, invoice.id)
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", Decimal("19.00"))
    assert (invoice.status, invoice.balance) == ("partially_paid", Decimal("19.00"))
    refunds = stripe_client(stripe_on).v1.refunds.list(params={"payment_intent": payment.gateway_reference})
    assert [r.amount for r in refunds.data] == [1900]
    refund(admin_client, payment)  # the rest
    db.session.expire_all()
    payment, invoice = db.session.get(Payment, payment.id), db.session.get(Invoice, invoice.id)
    assert (payment.status, payment.refunded_amount) == ("refunded", Decimal("119.00"))
    assert (invoice.status, invoice.balance) == ("unpaid", Decimal("119.00"))
    # The statement takes the refund off the payment: the customer owes the whole invoice again.
    statement = account_statement(invoice.customer_id, date.today() - timedelta(days=30), date.today(), "EUR")
    assert (statement.paid, statement.closing_balance) == (Decimal("0.00"), Decimal("119.00"))


def test_refunds_are_refused_beyond_the_payment_for_manual_payments_and_for_other_staff(
    f, app, client, admin_client, stripe_on
):
    invoice, payment = card_payment(f, client, stripe_on)
    assert "at most" in text(admin_client.get(refund(admin_client, payment, "500").headers["Location"]))
    other = f.make_invoice(f.make_customer("Globex"))
    manual = record_payment(other, "10", date.today(), "Bank transfer")
    refund(admin_client, manual)
    staff = app.test_client()
    create_staff("clerk@example.com", "Clerk", PASSWORD, is_admin=False)
    login_staff(staff, "clerk@example.com")
    assert refund(staff, payment, "1").status_code == 403
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).refunded_amount == 0
    assert db.session.get(Payment, manual.id).refunded_amount == 0
    assert stripe_client(stripe_on).v1.refunds.list(params={"payment_intent": payment.gateway_reference}).data == []


def test_the_payments_list_filters(f, client, admin_client, stripe_on):
    invoice, card = card_payment(f, client, stripe_on)
    old = f.make_invoice(f.make_customer("Globex"))
    record_payment(old, "5", date.today() - timedelta(days=40), "Cheque")
    everything = text(admin_client.get("/admin/payments"))
    assert card.gateway_reference in everything and "Cheque" in everything
    cards = text(admin_client.get("/admin/payments?kind=card"))
    assert card.gateway_reference in cards and "Cheque" not in cards
    recent = text(admin_client.get(f"/admin/payments?date_from={(date.today() - timedelta(days=5)).isoformat()}"))
    assert card.gateway_reference in recent and "Cheque" not in recent
    refunded = text(admin_client.get("/admin/payments?status=refunded"))
    assert card.gateway_reference not in refunded
    assert "No card payment waits for review" in text(admin_client.get("/admin/payments?flagged=y"))


def test_the_settings_page_shows_stripe_without_its_keys_and_switches_it(f, admin_client, stripe_on):
    page = text(admin_client.get("/admin/settings"))
    assert "Stripe is configured" in page
    assert "sk_test" not in page and "whsec" not in page and "pk_test" not in page
    form = {"card_payments_enabled": "", "partial_payments_allowed": "y", "form_key": uuid.uuid4().hex}
    form |= {key: default for key, (default, _label) in REMINDER_SETTINGS.items()}
    assert admin_client.post("/admin/settings", data=form).status_code == 302
    assert card_payment_options() == (False, True)


def test_the_settings_page_without_stripe(admin_client):
    assert "Stripe is not configured" in text(admin_client.get("/admin/settings"))
