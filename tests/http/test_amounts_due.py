"""What a customer owes, per currency (core.services.amounts_due): the dashboard and the
invoice list show the same amounts, and amounts in different currencies are never added up."""

from __future__ import annotations

import re
from datetime import date

from core.extensions import db
from core.services.amounts_due import amounts_due
from core.services.portal_summary import dashboard_summary
from core.services.statements import invoice_overview
from tests.conftest import login


def _eur_and_usd_invoice(f):
    customer = f.make_customer()
    contact = f.make_contact(customer)
    f.make_invoice(customer)
    usd = f.make_invoice(customer, due_in_days=-3)  # overdue
    usd.currency = "USD"
    f.make_invoice(customer, status="paid")
    f.make_invoice(customer, status="draft")
    db.session.commit()
    return customer, contact


def _amounts(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}"[^>]*>([^<]+)<', html)


def test_dashboard_shows_each_currency_separately(client, f):
    _customer, contact = _eur_and_usd_invoice(f)
    login(client, contact)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "238.00" not in dashboard
    assert _amounts(dashboard, "amount-due") == ["119.00 EUR", "119.00 USD"]
    invoices = client.get("/invoices").get_data(as_text=True)
    assert _amounts(invoices, "amount-due") == _amounts(dashboard, "amount-due")


def test_one_statement_serves_the_list_and_the_dashboard(f):
    customer, contact = _eur_and_usd_invoice(f)
    today = date.today()
    due = amounts_due(customer.id, today)
    assert [(b.currency, str(b.due), str(b.overdue)) for b in due] == [
        ("EUR", "119.00", "0.00"),
        ("USD", "119.00", "119.00"),
    ]
    assert invoice_overview(customer.id, today).balances == due
    summary = dashboard_summary(contact, today)["invoices"]
    assert summary["amounts_due"] == due and summary["overdue"] == 1


def test_nothing_due(client, f):
    customer = f.make_customer()
    contact = f.make_contact(customer)
    f.make_invoice(customer, status="paid")
    assert amounts_due(customer.id, date.today()) == []
    assert dashboard_summary(contact, date.today())["invoices"]["amounts_due"] == []
    login(client, contact)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert _amounts(dashboard, "amount-due") == ["0.00 EUR"]
