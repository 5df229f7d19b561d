"""The admin's "who receives which emails" matrix and the send dialog follow the recipient rule.

A contact of an inactive customer cannot log in and is never emailed (``recipients_for``); the
matrix must not show it as receiving, and the tab must say that nobody there gets emails.
"""

from __future__ import annotations

import re

from core.catalogs import NOTIFICATIONS
from core.extensions import db
from core.notifications import recipients_for


def inactive_customer_with_subscribed_contact(f):
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer, notifications={"invoice", "estimate"})
    customer.active = False
    db.session.commit()
    return customer, contact


def test_matrix_shows_no_receiver_at_an_inactive_customer(admin_client, f):
    customer, contact = inactive_customer_with_subscribed_contact(f)
    assert recipients_for(customer.id, "invoice") == []
    page = admin_client.get(f"/admin/customers/{customer.id}/contacts").get_data(as_text=True)
    matrix = page[page.index('data-testid="notification-matrix"') :]
    states = re.findall(r'data-state="(\w+)"', matrix)
    # Every permission is held: each cell says the contact cannot receive, as for a deactivated one.
    assert states == ["inactive"] * len(NOTIFICATIONS)
    # One notice about the customer instead of a list of every notification.
    assert 'data-testid="customer-inactive-warning"' in page
    assert "Acme is inactive: its contacts cannot log in and receive no emails." in page
    assert 'data-testid="unreached-warning"' not in page


def test_matrix_still_ticks_an_active_customers_receiver(admin_client, f):
    customer = f.make_customer("Acme")
    f.make_contact(customer, notifications={"invoice"})
    page = admin_client.get(f"/admin/customers/{customer.id}/contacts").get_data(as_text=True)
    assert 'data-state="on"' in page
    assert 'data-testid="unreached-invoice"' not in page


def test_send_dialog_preselects_nobody_at_an_inactive_customer(admin_client, f):
    customer, contact = inactive_customer_with_subscribed_contact(f)
    invoice = f.make_invoice(customer, number="INV-1")
    page = admin_client.get(f"/admin/invoices/{invoice.id}/send").get_data(as_text=True)
    assert 'data-testid="no-qualifying-contact"' in page
    assert "notifications on" not in page
