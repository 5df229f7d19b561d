"""Callers that used to restate a rule now ask its one definition: the dashboard counts what is
open for a decision as the pages do (``open_for_decision``), and a password link works only for a
contact who may log in (``Contact.may_log_in``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.extensions import db
from core.services.portal_summary import dashboard_summary
from core.tokens import TokenError, load_password_token, make_password_token


def test_the_dashboard_counts_only_what_is_still_open_for_a_decision(f):
    customer = f.make_customer()
    contact = f.make_contact(customer)
    yesterday = date.today() - timedelta(days=1)
    f.make_estimate(customer)
    f.make_estimate(customer).expiry_date = yesterday  # the portal shows it as expired
    f.make_proposal(customer)
    f.make_proposal(customer).open_till = yesterday
    db.session.commit()
    summary = dashboard_summary(contact, date.today())
    assert summary["estimates"]["waiting"] == 1
    assert summary["proposals"]["open"] == 1


@pytest.mark.parametrize("purpose", ["invitation", "password_reset"])
def test_a_password_link_works_only_while_the_contact_may_log_in(f, purpose):
    customer = f.make_customer()
    contact = f.make_contact(customer)
    token = make_password_token(purpose, contact)
    assert load_password_token(purpose, token) == contact
    customer.active = False
    db.session.commit()
    with pytest.raises(TokenError):
        load_password_token(purpose, token)
