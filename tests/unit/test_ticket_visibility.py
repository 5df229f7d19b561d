"""Which tickets a contact sees: ``Ticket.seen_by`` on a loaded ticket and in SQL agree.

Every case: the setting "contacts see all tickets of their company" unset, off and on; tickets
the contact opened, a colleague opened, nobody opened (contact deleted) and another customer's;
the SQL form with the setting read beforehand (``ticket_visibility``) and inside the statement
(``ticket_visibility_in_statement``, literal values and bound parameters).
"""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from core.extensions import db
from core.models import Setting, Ticket
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, set_settings
from core.services.tickets import sees_ticket, ticket_visibility, ticket_visibility_in_statement


@pytest.fixture
def world(f):
    acme, globex = f.make_customer("Acme"), f.make_customer("Globex")
    anna, bob = f.make_contact(acme), f.make_contact(acme)
    gina = f.make_contact(globex)
    tickets = {
        "anna's": f.make_ticket(acme, anna),
        "bob's": f.make_ticket(acme, bob),
        "nobody's": f.make_ticket(acme, None),
        "gina's": f.make_ticket(globex, gina),
    }
    return {"anna": anna, "bob": bob, "gina": gina}, tickets


def _ids(stmt, params=None) -> set[int]:
    return set(db.session.scalars(stmt, params or {}))


@pytest.mark.parametrize("setting", [None, "0", "1"])
def test_python_and_sql_agree_for_every_contact_and_ticket(world, setting):
    contacts, tickets = world
    if setting is not None:
        set_settings({CONTACTS_SEE_ALL_TICKETS: setting})
    bound = ticket_visibility_in_statement(bindparam("customer_id"), bindparam("contact_id"))
    for contact in contacts.values():
        in_python = {t.id for t in tickets.values() if sees_ticket(contact, t)}
        assert in_python == _ids(select(Ticket.id).where(ticket_visibility(contact)))
        literal = ticket_visibility_in_statement(contact.customer_id, contact.id)
        assert in_python == _ids(select(Ticket.id).where(literal))
        params = {"customer_id": contact.customer_id, "contact_id": contact.id}
        assert in_python == _ids(select(Ticket.id).where(bound), params)


@pytest.mark.parametrize(
    ("setting", "anna_sees"),
    [(None, {"anna's"}), ("0", {"anna's"}), ("1", {"anna's", "bob's", "nobody's"})],
)
def test_own_tickets_unless_the_company_setting_is_on(world, setting, anna_sees):
    contacts, tickets = world
    if setting is not None:
        db.session.add(Setting(key=CONTACTS_SEE_ALL_TICKETS, value=setting))
        db.session.commit()
    assert {name for name, t in tickets.items() if sees_ticket(contacts["anna"], t)} == anna_sees
    # Another customer's ticket is never seen, whatever the setting.
    assert not sees_ticket(contacts["anna"], tickets["gina's"])
