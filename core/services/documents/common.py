"""Checks every sales document shares: one customer per document, texts, amounts, dates, audit.

Every function here either returns a clean value or raises ``ServiceError`` with a message for
the user; none of them changes the database.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal, get_locale
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.i18n import _, _l, ngettext
from core.models import Customer, FormSubmission, Invoice, Project, money

from .. import ServiceError

MAX_AMOUNT = Decimal("9999999999.99")  # the largest value a NUMERIC(12, 2) column holds
MAX_ID = 2**31 - 1
MAX_NOTES = 5000
MAX_CONTENT = 50_000
MAX_SUBJECT = 200
# Forms carry a random one-time token; a FormSubmission row remembers what it created.
FORM_TOKEN = re.compile(r"[0-9a-f]{32}")


def readable_number(value, *, grouping: bool = True) -> str:
    """A count or amount for a message: ``1,234.5`` in English, the reader's digits otherwise."""
    if str(get_locale() or "en").startswith("en"):
        return f"{value:,}" if grouping else str(value)
    return format_decimal(value, group_separator=grouping)


def lock_customer(customer_id: int | None) -> Customer:
    """The customer, its row locked (PostgreSQL) until the transaction ends.

    Creations for one customer therefore run one after the other, which makes the
    double-submit check in ``earlier_submission`` reliable.
    """
    if not isinstance(customer_id, int) or not 0 < customer_id <= MAX_ID:
        raise ServiceError(_("Choose a customer."))
    customer = db.session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
    if customer is None:
        raise ServiceError(_("The chosen customer does not exist."))
    return customer


def earlier_submission(action: str, form_token: str | None, model):
    """The object an earlier submission of the same form already created, or None.

    A double click or a resubmitted page posts the same token twice; the second post gets
    the first result instead of a duplicate.
    """
    if not form_token or not FORM_TOKEN.fullmatch(form_token):
        return None
    submission = db.session.get(FormSubmission, form_token)
    if submission is None or submission.action != action:
        return None
    return db.session.get(model, submission.target_id)


# What ``check_owned`` says when the chosen row is missing, or another customer's.
_OWNED_REFUSALS = {
    Project: (
        _l("The chosen project does not exist."),
        _l("The chosen project belongs to another customer. Choose a project of this customer."),
    ),
    Invoice: (
        _l("The chosen invoice does not exist."),
        _l("The chosen invoice belongs to another customer. Choose an invoice of this customer."),
    ),
}


def check_owned(model, customer_id: int, object_id: int | None) -> int | None:
    """``object_id`` if it names a ``model`` row (a project or invoice) of this customer; refuses
    a missing row and another customer's with a message."""
    if object_id is None:
        return None
    missing, foreign = _OWNED_REFUSALS[model]
    row = db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None
    if row is None:
        raise ServiceError(str(missing))
    if row.customer_id != customer_id:
        raise ServiceError(str(foreign))
    return row.id


def check_project(customer_id: int, project_id: int | None) -> int | None:
    """``project_id`` if it is a project of this customer; refuses another customer's project."""
    return check_owned(Project, customer_id, project_id)


def check_invoice(customer_id: int, invoice_id: int | None) -> int | None:
    """``invoice_id`` if it is an invoice of this customer; refuses another customer's invoice."""
    return check_owned(Invoice, customer_id, invoice_id)


def clean_text(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    """``value`` stripped; refuses an empty required text and anything longer than ``max_length``.

    ``label`` names the field in the messages (translated: ``_("The subject")``).
    """
    text = (value or "").strip()
    if required and not text:
        raise ServiceError(_("%(field)s is required.", field=label))
    if len(text) > max_length:
        raise ServiceError(
            ngettext(
                "%(field)s is too long (%(length)s character); use at most %(max)s.",
                "%(field)s is too long (%(length)s characters); use at most %(max)s.",
                len(text),
                field=label,
                length=readable_number(len(text)),
                max=readable_number(max_length),
            )
        )
    return text


def check_amount(value, label: str, *, minimum: Decimal = Decimal("0"), maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """``value`` as a finite Decimal within ``minimum..maximum``, rounded to cents."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value if value is not None else 0))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("%(field)s must be a number, e.g. 12.50.", field=label)) from exc
    if not number.is_finite() or not minimum <= number <= maximum:
        raise ServiceError(
            _(
                "%(field)s must be between %(min)s and %(max)s.",
                field=label,
                min=readable_number(minimum),
                max=readable_number(maximum),
            )
        )
    return money(number)


def check_currency(value: str | None, fallback: str) -> str:
    """A three-letter currency code (upper case); empty means ``fallback`` (the customer's)."""
    code = (value or "").strip().upper() or fallback
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ServiceError(_("Use a three-letter currency code such as EUR."))
    return code


def check_order(first: date | None, second: date | None, message: str) -> None:
    """Refuses ``second`` before ``first`` (both optional)."""
    if first is not None and second is not None and second < first:
        raise ServiceError(message)


def audit(action: str, actor, document, *, form_token: str | None = None, **details) -> None:
    """Add the audit entry for ``action`` on ``document`` to the transaction.

    With the form's ``form_token``, also remember that this submission created ``document``
    (the token is the primary key, so two racing submissions cannot both commit).
    """
    record(action, actor=actor, customer_id=document.customer_id, target=document, **details)
    remember_submission(action, form_token, document.id)


def remember_submission(action: str, form_token: str | None, target_id: int) -> None:
    """Record that the form with ``form_token`` created ``target_id`` (same transaction).

    The token is the primary key, so of two racing submissions only one can commit.
    """
    if form_token and FORM_TOKEN.fullmatch(form_token):
        db.session.add(FormSubmission(token=form_token, action=action, target_id=target_id))
