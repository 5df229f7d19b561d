"""Sales documents a customer sees: invoices (with payments), credit notes, estimates,
proposals and contracts. Every one belongs to exactly one customer.

Where the document rules live (each once, as a hybrid: the same definition on a loaded document
and inside a query, e.g. ``select(Estimate).where(Estimate.visible_to_customer)``):

- which documents a customer can see: ``visible_to_customer`` (``DraftHidden`` for invoices,
  estimates and proposals: never a draft; a contract is always visible, it has no draft state);
- is an estimate or proposal still open for a decision: ``open_for_decision(today)``, used by
  the decision service's check and its ``UPDATE ... WHERE`` and by the pages' buttons;
- what an invoice still owes, whether it is open or overdue: ``Invoice.balance``, ``is_open``,
  ``is_overdue(today)``, ``display_status(today)``; an estimate's ``display_status(today)``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, Text, and_, case, not_, or_, true
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from core.extensions import db

from .base import Money, TimestampMixin, money

INVOICE_STATUSES = ("draft", "unpaid", "partially_paid", "paid", "cancelled")
# Sent and not (fully) paid: these have a balance the customer owes and can become overdue.
OPEN_INVOICE_STATUSES = ("unpaid", "partially_paid")
ESTIMATE_STATUSES = ("draft", "sent", "accepted", "declined", "expired")
PROPOSAL_STATUSES = ("draft", "open", "accepted", "declined")
CREDIT_NOTE_STATUSES = ("open", "closed", "void")
PAYMENT_KINDS = ("manual", "card")
# A booked payment is money received; pending and failed card attempts live in payment_attempts.
PAYMENT_STATUSES = ("succeeded", "partially_refunded", "refunded")


class CustomerOwned:
    """Columns of every document that belongs to a customer (and optionally a project)."""

    @declared_attr
    def customer_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)

    @declared_attr
    def project_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)


class DraftHidden:
    """Documents with a draft state: drafts are staff work in progress, which the customer never
    sees, not even by id. The portal's lists, pages, project tabs and statements use this rule."""

    @hybrid_property
    def visible_to_customer(self) -> bool:
        """Anything but a draft (the same comparison in Python and in SQL)."""
        return self.status != "draft"


class CustomerDecides:
    """Documents the customer accepts or declines (estimates, proposals): only while in
    ``OPEN_STATUS`` and not past the date in the ``DEADLINE`` column (none: no deadline)."""

    OPEN_STATUS: ClassVar[str]
    DEADLINE: ClassVar[str]

    @hybrid_method
    def open_for_decision(self, today: date) -> bool:
        """The customer may still accept or decline (the decision service's check and WHERE)."""
        deadline = getattr(self, self.DEADLINE)
        return self.status == self.OPEN_STATUS and (deadline is None or deadline >= today)

    @open_for_decision.inplace.expression
    @classmethod
    def _open_for_decision_expression(cls, today):
        deadline = getattr(cls, cls.DEADLINE)
        return and_(cls.status == cls.OPEN_STATUS, or_(deadline.is_(None), deadline >= today))


class LineItemMixin:
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Money, default=Decimal("1"))
    unit_price: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price)


class TotalsMixin:
    """Totals are stored (recomputed by services on every change) so lists need no joins."""

    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    tax_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")

    def recalculate(self) -> None:
        """Recompute subtotal, tax and total from the line items and the discount."""
        subtotal = sum((item.amount for item in self.items), Decimal("0"))
        tax = sum((money(item.amount * item.tax_rate / 100) for item in self.items), Decimal("0"))
        self.subtotal = money(subtotal)
        self.tax_total = money(tax)
        self.total = money(subtotal + tax - (self.discount or 0))


class Invoice(DraftHidden, CustomerOwned, TotalsMixin, TimestampMixin, db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_customer_id_date_id", "customer_id", "date", "id"),
        Index("ix_invoices_customer_id_status_due_date", "customer_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    date: Mapped[date]
    due_date: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    notes: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    # Reminder bookkeeping: the reminders command never sends the same notice twice a day.
    overdue_reminded_on: Mapped[date | None]
    due_soon_reminded_on: Mapped[date | None]

    items: Mapped[list[InvoiceItem]] = relationship(order_by="InvoiceItem.position", cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.date", cascade="all, delete-orphan")

    # Each rule below exists once for Python (on a loaded invoice) and once for SQL (on the
    # class, e.g. ``select(Invoice.display_status(today))``), side by side.

    @hybrid_property
    def balance(self) -> Decimal:
        """What is left to pay, in cents."""
        return money(self.total - self.amount_paid)

    @balance.inplace.expression
    @classmethod
    def _balance_expression(cls):
        return cls.total - cls.amount_paid

    def add_paid(self, change: Decimal) -> None:
        """Add ``change`` to what the invoice has received (negative for a refund); its status
        follows: paid once the total is covered, partially paid while something is, else unpaid.
        Staff-recorded payments, card payments and refunds all go through here."""
        self.amount_paid = money(self.amount_paid + change)
        if self.amount_paid >= self.total:
            self.status = "paid"
        elif self.amount_paid > 0:
            self.status = "partially_paid"
        else:
            self.status = "unpaid"

    @hybrid_property
    def is_open(self) -> bool:
        """Sent and not (fully) paid: unpaid or partially paid."""
        return self.status in OPEN_INVOICE_STATUSES

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls):
        # OR of equalities rather than IN: SQLAlchemy renders an IN list into the SQL text on
        # every run, while this SQL is compiled once and cached.
        return or_(*(cls.status == status for status in OPEN_INVOICE_STATUSES))

    @hybrid_method
    def is_overdue(self, today: date) -> bool:
        """Open with a due date before ``today``."""
        return self.is_open and self.due_date is not None and self.due_date < today

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_expression(cls, today):
        # A NULL due date makes the comparison NULL: not overdue, as in Python.
        return and_(cls.is_open, cls.due_date < today)

    @hybrid_method
    def display_status(self, today: date) -> str:
        """Status as the customer sees it: an unpaid invoice past its due date is overdue."""
        return "overdue" if self.is_overdue(today) else self.status

    @display_status.inplace.expression
    @classmethod
    def _display_status_expression(cls, today):
        return case((cls.is_overdue(today), "overdue"), else_=cls.status)


class InvoiceItem(LineItemMixin, db.Model):
    __tablename__ = "invoice_items"
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)


class Payment(TimestampMixin, db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    date: Mapped[date]
    method: Mapped[str] = mapped_column(String(40), default="Bank transfer")  # the label shown
    reference: Mapped[str] = mapped_column(String(80), default="")
    # How it came in (``PAYMENT_KINDS``): recorded by staff, or paid by card through a gateway,
    # whose own id for it (the PaymentIntent) is unique, so a payment is booked once.
    kind: Mapped[str] = mapped_column(String(20), default="manual", server_default="manual")
    gateway: Mapped[str | None] = mapped_column(String(20))
    gateway_reference: Mapped[str | None] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="succeeded", server_default="succeeded", index=True)
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")


class CreditNote(CustomerOwned, TotalsMixin, TimestampMixin, db.Model):
    __tablename__ = "credit_notes"
    __table_args__ = (Index("ix_credit_notes_customer_id_date_id", "customer_id", "date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    date: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="open")
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"), index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]

    items: Mapped[list[CreditNoteItem]] = relationship(order_by="CreditNoteItem.position", cascade="all, delete-orphan")
    invoice: Mapped[Invoice | None] = relationship()


class CreditNoteItem(LineItemMixin, db.Model):
    __tablename__ = "credit_note_items"
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id", ondelete="CASCADE"), index=True)


class Estimate(DraftHidden, CustomerDecides, CustomerOwned, TotalsMixin, TimestampMixin, db.Model):
    __tablename__ = "estimates"
    __table_args__ = (Index("ix_estimates_customer_id_date_id", "customer_id", "date", "id"),)
    OPEN_STATUS = "sent"  # accepted or declined while sent and not past its expiry date
    DEADLINE = "expiry_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    date: Mapped[date]
    expiry_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    signer_name: Mapped[str | None] = mapped_column(String(160))
    decided_at: Mapped[datetime | None]
    decided_ip: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    expiry_reminded_on: Mapped[date | None]
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id", ondelete="SET NULL"))

    items: Mapped[list[EstimateItem]] = relationship(order_by="EstimateItem.position", cascade="all, delete-orphan")

    @hybrid_method
    def display_status(self, today: date) -> str:
        """Status as the customer sees it: a sent estimate past its expiry date is expired."""
        return "expired" if self.status == "sent" and not self.open_for_decision(today) else self.status

    @display_status.inplace.expression
    @classmethod
    def _display_status_expression(cls, today):
        # Sent but no longer open for a decision: the negation of the one open rule.
        return case((and_(cls.status == "sent", not_(cls.open_for_decision(today))), "expired"), else_=cls.status)


class EstimateItem(LineItemMixin, db.Model):
    __tablename__ = "estimate_items"
    estimate_id: Mapped[int] = mapped_column(ForeignKey("estimates.id", ondelete="CASCADE"), index=True)


class AgreementMixin:
    """Columns proposals and contracts share: a subject, free text, a currency, who signed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    signer_name: Mapped[str | None] = mapped_column(String(160))


class Proposal(AgreementMixin, DraftHidden, CustomerDecides, CustomerOwned, TimestampMixin, db.Model):
    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_customer_id_date_id", "customer_id", "date", "id"),)
    OPEN_STATUS = "open"  # accepted or declined while open and not past its open-till date
    DEADLINE = "open_till"

    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    date: Mapped[date]
    open_till: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    decided_at: Mapped[datetime | None]
    decided_ip: Mapped[str | None] = mapped_column(String(64))


class Contract(AgreementMixin, CustomerOwned, TimestampMixin, db.Model):
    __tablename__ = "contracts"
    __table_args__ = (Index("ix_contracts_customer_id_start_date_id", "customer_id", "start_date", "id"),)

    value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    signed_at: Mapped[datetime | None]
    signer_ip: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    expiry_reminded_on: Mapped[date | None]

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @hybrid_property
    def visible_to_customer(self) -> bool:
        """Always: a contract has no draft state (it is written for the customer from the start)."""
        return True

    @visible_to_customer.inplace.expression
    @classmethod
    def _visible_to_customer_expression(cls):
        return true()
