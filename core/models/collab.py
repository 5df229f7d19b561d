"""What contacts and staff share around documents and projects: comments, milestones,
discussions, files, per-project customer settings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db

from .base import CommentMixin, TimestampMixin


class ProposalComment(CommentMixin, db.Model):
    __tablename__ = "proposal_comments"
    THREAD = "proposal_id"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)


class TaskComment(CommentMixin, db.Model):
    __tablename__ = "task_comments"
    THREAD = "task_id"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)


class Milestone(TimestampMixin, db.Model):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date | None]
    visible_to_customer: Mapped[bool] = mapped_column(default=True)


class Discussion(TimestampMixin, db.Model):
    __tablename__ = "discussions"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    visible_to_customer: Mapped[bool] = mapped_column(default=True)

    comments: Mapped[list[DiscussionComment]] = relationship(
        order_by="DiscussionComment.id", cascade="all, delete-orphan"
    )


class DiscussionComment(CommentMixin, db.Model):
    __tablename__ = "discussion_comments"
    THREAD = "discussion_id"

    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"), index=True)


class StoredFile(TimestampMixin, db.Model):
    """An uploaded file: bytes on disk under ``UPLOAD_FOLDER`` with a generated name.

    It belongs to a customer and to exactly one owner (a ticket reply or a project), and is
    only ever served through a route that checks both.
    """

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    ticket_reply_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_replies.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    visible_to_customer: Mapped[bool] = mapped_column(default=True)
    uploaded_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    uploaded_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class ProjectSettingRow(db.Model):
    """One enabled customer setting of a project (keys from ``core.catalogs.PROJECT_SETTINGS``)."""

    __tablename__ = "project_settings"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    setting: Mapped[str] = mapped_column(String(32), primary_key=True)


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("name"),)


class FormSubmission(TimestampMixin, db.Model):
    """A form's one-time key, claimed by the first submission that posts it (``core.submissions``).

    A double click or a resubmitted page posts the same key again; the unique key refuses the
    second claim, so its request changes nothing and is sent where the first one went.
    """

    __tablename__ = "form_submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(60))  # the endpoint that took it
    target_id: Mapped[int | None]
    result_url: Mapped[str | None] = mapped_column(String(500))  # where the first submission went
