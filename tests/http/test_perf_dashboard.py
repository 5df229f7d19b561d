"""The dashboard figures (core.services.portal_summary), whose statement is built once per
process with bound parameters: every contact still gets its own customer's figures, and the
Support figure follows the ticket list's visibility rule under both settings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Ticket
from core.services.portal_summary import dashboard_summary
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, set_settings
from core.services.tickets import ticket_visibility


@pytest.fixture
def two_customers(f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    anna, ben = f.make_contact(acme), f.make_contact(acme)
    gina = f.make_contact(globex)
    f.make_invoice(acme)
    f.make_invoice(acme, due_in_days=-5)  # overdue
    f.make_invoice(acme, status="paid")
    f.make_invoice(globex, due_in_days=-1)
    f.make_estimate(acme)
    f.make_proposal(globex)
    f.make_contract(acme)
    f.make_ticket(acme, anna)
    f.make_ticket(acme, anna)
    f.make_ticket(acme, ben)
    f.make_ticket(globex, gina)
    f.make_project(acme)
    return anna, ben, gina


@pytest.mark.parametrize("see_all", [False, True])
def test_figures_per_contact_and_ticket_visibility(two_customers, see_all):
    set_settings({CONTACTS_SEE_ALL_TICKETS: "1" if see_all else "0"})
    anna, ben, gina = two_customers
    today = date.today()
    for contact in (anna, ben, gina, anna):  # the same cached statement, other parameters
        summary = dashboard_summary(contact, today)
        expected_tickets = db.session.scalar(
            select(func.count(Ticket.id)).where(ticket_visibility(contact), Ticket.status != "closed")
        )
        assert summary["support"]["open"] == expected_tickets
    assert dashboard_summary(anna, today)["support"]["open"] == (3 if see_all else 2)
    assert dashboard_summary(ben, today)["support"]["open"] == (3 if see_all else 1)
    acme, globex = dashboard_summary(anna, today), dashboard_summary(gina, today)
    assert acme["invoices"]["overdue"] == 1 and globex["invoices"]["overdue"] == 1
    assert [b.currency for b in acme["invoices"]["amounts_due"]] == ["EUR"] and acme["invoices"]["amounts_due"][
        0
    ].due > 0
    assert (acme["estimates"]["waiting"], globex["estimates"]["waiting"]) == (1, 0)
    assert (acme["proposals"]["open"], globex["proposals"]["open"]) == (0, 1)
    assert (acme["contracts"]["unsigned"], acme["projects"]["active"]) == (1, 1)
    # "today" is a parameter too: a month later the due-in-14-days invoice is overdue as well
    assert dashboard_summary(anna, today + timedelta(days=30))["invoices"]["overdue"] == 2


def test_panels_follow_permissions(f):
    customer = f.make_customer()
    only_invoices = f.make_contact(customer, permissions={"invoices"})
    nothing = f.make_contact(customer, permissions=set())
    assert set(dashboard_summary(only_invoices, date.today())) == {"invoices"}
    assert dashboard_summary(nothing, date.today()) == {}
