"""Support tickets and projects with their tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db

from .base import CommentMixin, TimestampMixin, utcnow

TICKET_STATUSES = ("open", "in_progress", "answered", "on_hold", "closed")
TICKET_PRIORITIES = ("low", "medium", "high", "urgent")
PROJECT_STATUSES = ("not_started", "in_progress", "on_hold", "finished", "cancelled")
TASK_STATUSES = ("not_started", "in_progress", "testing", "awaiting_feedback", "complete")


class Ticket(TimestampMixin, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_customer_id_last_reply_at_id", "customer_id", "last_reply_at", "id"),
        Index("ix_tickets_contact_id_last_reply_at_id", "contact_id", "last_reply_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # The contact who opened it; kept as NULL if that contact is later deleted.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(80), default="General")
    priority: Mapped[str] = mapped_column(String(20), default="medium")
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    last_reply_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A random key from the "open ticket" form: submitting the same form twice opens one ticket.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    contact = relationship("Contact")
    replies: Mapped[list[TicketReply]] = relationship(order_by="TicketReply.created_at", cascade="all, delete-orphan")

    @hybrid_method
    def seen_by(self, customer_id, contact_id, see_all):
        """Which tickets a contact sees, the one definition: its customer's tickets, and of those
        only the ones it opened itself unless ``see_all`` (the administrators' setting
        "contacts see all tickets of their company"; ``core.services.tickets.ticket_visibility``).

        On a loaded ticket (plain values) a bool; on the class (values, bound parameters or SQL
        such as the setting's EXISTS) the WHERE condition. ``&``/``|`` serve both: on bools they
        are the logical operators, on columns SQL's AND/OR. A ticket whose contact was deleted
        (NULL) is seen only with ``see_all``, in Python and SQL alike.
        """
        return (self.customer_id == customer_id) & ((self.contact_id == contact_id) | see_all)


class TicketReply(CommentMixin, db.Model):
    __tablename__ = "ticket_replies"
    THREAD = "ticket_id"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)


class Project(TimestampMixin, db.Model):
    __tablename__ = "projects"
    __table_args__ = (Index("ix_projects_customer_id_start_date_id", "customer_id", "start_date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="in_progress", index=True)
    start_date: Mapped[date]
    deadline: Mapped[date | None]
    progress: Mapped[int] = mapped_column(default=0)

    tasks: Mapped[list[Task]] = relationship(order_by="Task.id", cascade="all, delete-orphan", back_populates="project")


class Task(TimestampMixin, db.Model):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(24), default="not_started")
    due_date: Mapped[date | None]
    # Internal tasks stay invisible in the customer area and never trigger customer emails.
    visible_to_customer: Mapped[bool] = mapped_column(default=False)

    project: Mapped[Project] = relationship(back_populates="tasks")
