"""Customers: create, edit, list."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm.exc import StaleDataError

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import Contact, Customer
from core.search import contains_text

from . import StaleVersionError

CUSTOMER_FIELDS = (
    "company",
    "vat_number",
    "phone",
    "address",
    "city",
    "zip_code",
    "country",
    "website",
    "currency",
    "active",
)


def customer_search(query: str = "") -> Select:
    """A select() of customers matching ``query`` in company, VAT number or a contact's email."""
    stmt = select(Customer).order_by(Customer.company, Customer.id)
    query = query.strip()
    if query:
        stmt = stmt.where(
            or_(
                contains_text(Customer.company, query),
                contains_text(Customer.vat_number, query),
                Customer.id.in_(select(Contact.customer_id).where(contains_text(Contact.email, query))),
            )
        )
    return stmt


def save_customer(
    customer: Customer | None, values: dict, *, expected_version: int | None = None, actor=None
) -> Customer:
    """Create (``customer`` None) or update a customer from ``values`` and commit.

    ``expected_version`` refuses a save based on stale data (``StaleVersionError``). With an
    ``actor`` (the staff member saving), the creation or the changed fields (before and after)
    are written to the audit log in the same transaction.
    """
    stale = _("Someone else changed this customer meanwhile. Reload the page and try again.")
    created = customer is None
    if customer is None:
        customer = Customer()
        db.session.add(customer)
    elif expected_version is not None and expected_version != customer.version:
        raise StaleVersionError(stale)
    before = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
    for name in CUSTOMER_FIELDS:
        if name in values:
            value = values[name]
            setattr(customer, name, value.strip() if isinstance(value, str) else value)
    if actor is not None:
        db.session.flush()
        after = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
        if created:
            record("customer.created", actor=actor, customer_id=customer.id, target=customer, after=after)
        elif before != after:
            changed = {k: {"before": before[k], "after": after[k]} for k in CUSTOMER_FIELDS if before[k] != after[k]}
            record("customer.updated", actor=actor, customer_id=customer.id, target=customer, **changed)
    try:
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleVersionError(stale) from exc
    return customer
