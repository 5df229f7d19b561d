"""The contact rules of the admin area, at the service level (no HTTP)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.extensions import db
from core.models import Contact, Invoice, Ticket
from core.services import ServiceError
from core.services.contacts import delete_contact, make_primary, set_active, update_contact
from tests.factories import contact_data


def primaries(customer) -> list[str]:
    stmt = select(Contact.email).where(Contact.customer_id == customer.id, Contact.is_primary)
    return list(db.session.scalars(stmt))


def test_catalogs_have_the_products_labels():
    assert [p.label for p in PERMISSIONS] == ["Invoices", "Estimates", "Contracts", "Proposals", "Support", "Projects"]
    assert [n.label for n in NOTIFICATIONS] == [
        "Invoice",
        "Credit Note",
        "Estimate",
        "Tickets",
        "Contract",
        "Task",
        "Project",
    ]
    # Every toggle names a permission that exists.
    assert {n.permission for n in NOTIFICATIONS} <= {p.key for p in PERMISSIONS}


def test_first_contact_becomes_primary_even_if_not_asked(f):
    customer = f.make_customer()
    first = f.make_contact(customer, is_primary=False)
    second = f.make_contact(customer)
    assert first.is_primary and not second.is_primary


def test_making_a_contact_primary_demotes_the_other(f):
    customer = f.make_customer()
    first = f.make_contact(customer)
    second = f.make_contact(customer, is_primary=True)
    db.session.expire_all()
    assert primaries(customer) == [second.email]
    make_primary(first)
    db.session.expire_all()
    assert primaries(customer) == [first.email]


def test_primary_is_per_customer(f):
    a, b = f.make_customer(), f.make_customer()
    a1, b1 = f.make_contact(a), f.make_contact(b)
    f.make_contact(a, is_primary=True)
    db.session.expire_all()
    assert a1.is_primary is False and b1.is_primary is True


def test_unsetting_the_primary_flag_is_refused(f):
    customer = f.make_customer()
    first = f.make_contact(customer)
    f.make_contact(customer)
    with pytest.raises(ServiceError, match="primary"):
        update_contact(first, contact_data(first, is_primary=False))
    db.session.expire_all()
    assert primaries(customer) == [first.email]


@pytest.mark.parametrize("email", ["Taken@Example.com", "taken@example.com", "  TAKEN@example.COM "])
def test_email_unique_across_customers_case_insensitive(f, email):
    f.make_contact(f.make_customer(), email="taken@example.com")
    with pytest.raises(ServiceError, match="already exists"):
        f.make_contact(f.make_customer(), email=email)
    assert db.session.scalar(select(func.count(Contact.id))) == 1


def test_email_is_stored_lower_case(f):
    contact = f.make_contact(email="Mixed.Case@Example.COM")
    assert contact.email == "mixed.case@example.com"


def test_renaming_to_a_taken_email_is_refused(f):
    f.make_contact(email="one@example.com")
    other = f.make_contact(email="two@example.com")
    with pytest.raises(ServiceError, match="already exists"):
        update_contact(other, contact_data(other, email="ONE@example.com"))
    db.session.expire_all()
    assert other.email == "two@example.com"


def test_a_toggle_needs_its_permission(f):
    with pytest.raises(ServiceError, match="Invoice emails need the Invoices permission"):
        f.make_contact(permissions={"projects"}, notifications={"invoice", "project"})
    contact = f.make_contact(permissions={"projects"}, notifications={"project", "task"})
    with pytest.raises(ServiceError, match="Project emails need the Projects permission"):
        update_contact(contact, contact_data(contact, permissions={"support"}))
    db.session.expire_all()
    assert contact.permissions == {"projects"} and contact.notifications == {"project", "task"}


def test_deactivate_and_activate(f):
    contact = f.make_contact()
    token = contact.session_token
    set_active(contact, False)
    assert contact.active is False and contact.session_token != token
    set_active(contact, True)
    assert contact.active is True


def test_primary_cannot_be_deleted_while_others_exist(f):
    customer = f.make_customer()
    primary = f.make_contact(customer)
    other = f.make_contact(customer)
    with pytest.raises(ServiceError, match="make another contact primary"):
        delete_contact(primary)
    make_primary(other)
    delete_contact(primary)
    delete_contact(other)  # the last contact, primary, may go
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_deleting_a_contact_keeps_the_customers_documents(f):
    customer = f.make_customer()
    f.make_contact(customer)
    leaving = f.make_contact(customer)
    ticket = f.make_ticket(customer, leaving)
    f.make_invoice(customer)
    delete_contact(leaving)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).contact_id is None
    assert len(db.session.get(Ticket, ticket.id).replies) == 1
    assert db.session.scalar(select(func.count(Invoice.id))) == 1


def test_stale_version_is_refused(f):
    contact = f.make_contact()
    with pytest.raises(ServiceError, match="changed this contact meanwhile"):
        update_contact(contact, contact_data(contact, first_name="New"), expected_version=contact.version - 1)
    update_contact(contact, contact_data(contact, first_name="New"), expected_version=contact.version)
    assert contact.first_name == "New"


def test_login_and_logout_do_not_make_an_open_edit_form_stale(f):
    from core.services.accounts import authenticate_contact, end_sessions

    contact = f.make_contact()
    version_on_the_form = contact.version
    assert authenticate_contact(contact.email, f.PASSWORD) is not None
    end_sessions(contact)
    update_contact(contact, contact_data(contact, first_name="Edited"), expected_version=version_on_the_form)
    assert contact.first_name == "Edited"
