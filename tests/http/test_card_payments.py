"""Paying an invoice by card: the real stripe library against localstripe (tests/payments_server.py).

Pay creates one PaymentIntent for the server's balance (a second Pay reuses it); the card form
and the return page book the payment once, whatever the webhook does meanwhile; drafts,
cancelled and paid invoices, other customers' invoices and contacts without Invoices cannot pay.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import event

from core.extensions import db
from core.models import Invoice, Payment
from core.services.settings import set_settings
from core.services.statements import account_statement
from tests.conftest import count, login, text
from tests.http.helpers.card_payments import (
    attempts,
    pay_in_browser,
    payer,
    post_card_form,
    post_return,
    press_pay,
    stripe_client,
)
from tests.payments_server import PUBLISHABLE_KEY, SECRET_KEY


def payments(invoice) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.get(Invoice, invoice.id).payments)


def test_without_stripe_there_is_no_pay_button_and_no_pay_route(f, client):
    _me, invoice = payer(f, client)
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Pay now" not in page and "stripe" not in page.lower()
    assert press_pay(client, invoice).status_code == 404
    assert client.get(f"/invoices/{invoice.id}/pay/card").status_code == 404


def test_pay_creates_one_intent_for_the_balance_and_a_second_pay_reuses_it(f, client, stripe_on):
    _me, invoice = payer(f, client)
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert 'data-testid="pay-now"' in page
    first = press_pay(client, invoice, amount="1.00")  # the browser's amount is ignored
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/invoices/{invoice.id}/pay/card")
    assert press_pay(client, invoice).status_code == 303
    [attempt] = attempts(invoice)
    intent = stripe_client(stripe_on).v1.payment_intents.retrieve(attempt.intent_id)
    assert (intent.amount, intent.currency, attempt.amount) == (11900, "eur", Decimal("119.00"))
    assert intent.metadata["invoice_id"] == str(invoice.id)


def test_the_card_page_loads_stripe_js_with_its_csp_only_there(f, client, stripe_on):
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    card_page = client.get(f"/invoices/{invoice.id}/pay/card")
    csp = card_page.headers["Content-Security-Policy"]
    assert stripe_on.js_url in text(card_page) and "/static/js/pay.js" in text(card_page)
    assert f"script-src 'self' {stripe_on.api_base}" in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in text(card_page)  # no inline script
    detail = client.get(f"/invoices/{invoice.id}")
    assert stripe_on.api_base not in detail.headers["Content-Security-Policy"]
    assert "sk_test" not in text(card_page) and "whsec" not in text(card_page)


def test_the_card_form_charges_and_books_once_and_the_invoice_shows_it(f, client, stripe_on):
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    response = post_card_form(client, invoice, attempt)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/invoices/{invoice.id}")
    again = post_card_form(client, invoice, attempt)  # a second click: the intent already succeeded
    assert again.status_code == 303
    [payment] = payments(invoice)
    assert (payment.kind, payment.gateway_reference, payment.amount) == ("card", attempt.intent_id, Decimal("119.00"))
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert "Paid" in page and attempt.intent_id in page and 'data-testid="pay-now"' not in page
    statement = text(client.get("/statement"))
    assert "Payment for invoice" in statement and f">{invoice.number}</a>" in statement


def test_the_return_page_books_an_intent_the_browser_confirmed(f, client, stripe_on):
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    assert pay_in_browser(stripe_on, attempt).status == "succeeded"
    assert post_return(client, invoice, attempt).status_code == 303
    assert post_return(client, invoice, attempt).status_code == 303
    assert len(payments(invoice)) == 1
    assert db.session.get(Invoice, invoice.id).status == "paid"


def test_the_return_before_the_card_is_confirmed_books_nothing(f, client, stripe_on):
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    post_return(client, invoice, attempt)
    assert payments(invoice) == [] and attempts(invoice)[0].status == "pending"


def test_a_declined_card_books_nothing_and_the_invoice_can_be_paid_again(f, client, stripe_on):
    _me, invoice = payer(f, client)
    press_pay(client, invoice)
    [attempt] = attempts(invoice)
    response = post_card_form(client, invoice, attempt, "pm_card_chargeCustomerFail")
    assert response.status_code == 303 and response.headers["Location"].endswith("/pay/card")
    assert "did not go through" in text(client.get(response.headers["Location"]))
    assert payments(invoice) == []


def test_partial_payments_when_allowed(f, client, stripe_on):
    set_settings({"partial_payments_allowed": "1"})
    _me, invoice = payer(f, client)
    assert 'name="amount"' in text(client.get(f"/invoices/{invoice.id}"))
    press_pay(client, invoice, amount="500")
    assert attempts(invoice) == []  # more than the balance: refused
    press_pay(client, invoice, amount="19.00")
    [attempt] = attempts(invoice)
    post_card_form(client, invoice, attempt)
    db.session.expire_all()
    paid = db.session.get(Invoice, invoice.id)
    assert (paid.status, paid.balance) == ("partially_paid", Decimal("100.00"))


@pytest.mark.parametrize("status", ["draft", "cancelled", "paid"])
def test_draft_cancelled_and_paid_invoices_cannot_be_paid(f, client, stripe_on, status):
    _me, invoice = payer(f, client)
    invoice.status = status
    db.session.commit()
    response = press_pay(client, invoice)
    assert response.status_code == (404 if status == "draft" else 303)
    assert attempts(invoice) == []
    if status != "draft":
        assert 'data-testid="pay-now"' not in text(client.get(f"/invoices/{invoice.id}"))


def test_another_customers_invoice_is_a_404_and_projects_only_gets_403(f, client, stripe_on, app):
    _me, invoice = payer(f, client)
    other = f.make_invoice(f.make_customer("Globex"))
    assert press_pay(client, other).status_code == 404
    assert client.get(f"/invoices/{other.id}/pay/card").status_code == 404
    projects_only = f.make_contact(invoice.customer if hasattr(invoice, "customer") else None, permissions={"projects"})
    second = app.test_client()
    assert login(second, projects_only).status_code == 302
    mine = f.make_invoice(db.session.get(type(projects_only), projects_only.id).customer)
    assert press_pay(second, mine).status_code == 403
    assert second.get(f"/invoices/{mine.id}/pay/card").status_code == 403
    assert attempts(other) == [] and attempts(mine) == []


def test_switched_off_by_an_administrator(f, client, stripe_on):
    set_settings({"card_payments_enabled": "0"})
    _me, invoice = payer(f, client)
    assert 'data-testid="pay-now"' not in text(client.get(f"/invoices/{invoice.id}"))
    assert press_pay(client, invoice).status_code == 404
    assert count(Payment) == 0


def test_the_invoice_page_costs_one_statement_more_with_card_payments(f, client, app, localstripe):
    _me, invoice = payer(f, client)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get(f"/invoices/{invoice.id}")  # the first request also loads cached things
        statements.clear()
        client.get(f"/invoices/{invoice.id}")
        without = len(statements)
        app.config.update(STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY)
        statements.clear()
        assert 'data-testid="pay-now"' in text(client.get(f"/invoices/{invoice.id}"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == without + 1


def test_the_pay_routes_are_rate_limited_per_contact(f, client, app, stripe_on):
    app.config["PAY_LIMIT"] = "3 per minute"
    _me, invoice = payer(f, client)
    statuses = [press_pay(client, invoice).status_code for _ in range(3)]
    statuses.append(client.get(f"/invoices/{invoice.id}/pay/card").status_code)
    assert statuses == [303, 303, 303, 429]
    assert len(attempts(invoice)) == 1


@pytest.mark.parametrize(("language", "card_word"), [("en", "Card"), ("de", "Karte")])
def test_a_card_payment_reads_in_the_contacts_language_on_page_and_statement(app, f, client, language, card_word):
    """A gateway payment's method is its translated kind; staff's own words stay as typed."""
    _me, invoice = payer(f, client, language=language)
    db.session.add_all(
        [
            Payment(invoice_id=invoice.id, amount=Decimal("10.00"), date=invoice.date, method="Card", kind="card"),
            Payment(invoice_id=invoice.id, amount=Decimal("5.00"), date=invoice.date, method="Bar", reference="Q1"),
        ]
    )
    db.session.commit()
    page = text(client.get(f"/invoices/{invoice.id}"))
    assert f">{card_word}</td>" in page and ">Bar</td>" in page
    with app.test_request_context(), force_locale(language):
        statement = account_statement(invoice.customer_id, invoice.date, invoice.date, "EUR")
    descriptions = [line.description for line in statement.lines if line.kind == "payment"]
    assert any(f"({card_word})" in d for d in descriptions) and any("(Bar)" in d for d in descriptions)
