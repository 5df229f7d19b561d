"""Each business rule written as a hybrid says the same on a loaded object and inside a query.

For every combination that matters (active contact x active customer x toggle x permission,
every document status, every deadline around today) the rows a ``select(...).where(rule)``
returns are exactly the loaded objects for which ``obj.rule`` is true.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select

from core.catalogs import NOTIFICATIONS
from core.extensions import db
from core.models import (
    ESTIMATE_STATUSES,
    INVOICE_STATUSES,
    PROPOSAL_STATUSES,
    Contact,
    ContactNotification,
    Contract,
    Estimate,
    Invoice,
    Proposal,
)

TODAY = date(2026, 3, 15)
DEADLINES = (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))


def ids_where(condition, model) -> set[int]:
    return set(db.session.scalars(select(model.id).where(condition)))


def test_may_log_in_agrees_for_every_contact_and_customer_state(f):
    contacts = []
    for contact_active, customer_active in itertools.product((True, False), repeat=2):
        customer = f.make_customer(active=customer_active)
        contacts.append(f.make_contact(customer, active=contact_active))
    db.session.expire_all()

    expected = {c.id for c in contacts if c.active and c.customer.active}
    assert {c.id for c in contacts if c.may_log_in} == expected
    assert ids_where(Contact.may_log_in, Contact) == expected
    assert len(expected) == 1


def test_receives_agrees_for_every_state_toggle_and_permission(f):
    contacts = []
    for contact_active, customer_active, toggle, permission in itertools.product((True, False), repeat=4):
        customer = f.make_customer(active=customer_active)
        contact = f.make_contact(customer, active=contact_active, permissions=set() if not permission else None)
        # The services refuse a toggle without its permission: write the rows directly to
        # prove the rule ignores such a toggle anyway.
        if toggle:
            db.session.add_all(ContactNotification(contact_id=contact.id, notification=n.key) for n in NOTIFICATIONS)
        contacts.append(contact)
    db.session.commit()
    db.session.expire_all()

    for n in NOTIFICATIONS:
        in_python = {c.id for c in contacts if c.receives(n.key)}
        assert ids_where(Contact.receives(n.key), Contact) == in_python, n.key
        assert len(in_python) == 1  # active, of an active customer, toggle on, permission held


def test_visible_to_customer_agrees_for_every_status(f):
    customer = f.make_customer()
    documents = {
        Invoice: [f.make_invoice(customer, status=s) for s in INVOICE_STATUSES],
        Estimate: [f.make_estimate(customer, status=s) for s in ESTIMATE_STATUSES],
        Proposal: [f.make_proposal(customer, status=s) for s in PROPOSAL_STATUSES],
        Contract: [f.make_contract(customer)],
    }
    db.session.expire_all()

    for model, rows in documents.items():
        in_python = {d.id for d in rows if d.visible_to_customer}
        assert ids_where(model.visible_to_customer, model) == in_python, model.__name__
        assert in_python == {d.id for d in rows if getattr(d, "status", "") != "draft"}


def test_open_for_decision_and_display_status_agree_for_every_status_and_deadline(f):
    customer = f.make_customer()
    estimates, proposals = [], []
    for status, deadline in itertools.product(ESTIMATE_STATUSES, DEADLINES):
        estimate = f.make_estimate(customer, status=status)
        estimate.expiry_date = deadline
        estimates.append(estimate)
    for status, deadline in itertools.product(PROPOSAL_STATUSES, DEADLINES):
        proposal = f.make_proposal(customer, status=status)
        proposal.open_till = deadline
        proposals.append(proposal)
    db.session.commit()
    db.session.expire_all()

    for model, rows in ((Estimate, estimates), (Proposal, proposals)):
        in_python = {d.id for d in rows if d.open_for_decision(TODAY)}
        assert ids_where(model.open_for_decision(TODAY), model) == in_python, model.__name__
        assert len(in_python) == 3  # the open status with no deadline, today or tomorrow

    in_sql = dict(db.session.execute(select(Estimate.id, Estimate.display_status(TODAY))).all())
    assert in_sql == {e.id: e.display_status(TODAY) for e in estimates}
    assert sorted(in_sql.values()).count("expired") == len(DEADLINES) + 1  # stored, and sent past expiry
