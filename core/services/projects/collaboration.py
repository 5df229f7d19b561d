"""Milestones, files and discussions of a project.

Each has its own visibility; the customer sees an item (and is emailed about it) only when
it is visible and the project's setting for that part is on ("view_milestones",
"view_files", "view_discussions").
"""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import FileStorage

from core.audit import record
from core.extensions import db
from core.files import discard, store_upload
from core.i18n import _
from core.models import Contact, Discussion, DiscussionComment, Milestone, Project, StaffUser, StoredFile
from core.notifications.notify import notify_project

from .. import ServiceError
from ..comments import Author, post_comment
from ._common import DUPLICATE_WINDOW, clean_name, clean_text, recent_duplicate
from .lifecycle import project_settings

# -- milestones ------------------------------------------------------------------------------


def add_milestone(
    project: Project,
    *,
    name: str,
    description: str = "",
    due_date: date | None = None,
    visible_to_customer: bool = True,
) -> Milestone:
    """Add a milestone and commit; the same name twice in a row adds one milestone."""
    name = clean_name(name, "milestone")
    description = clean_text(description, required=False)
    duplicate = recent_duplicate(Milestone, Milestone.project_id == project.id, Milestone.name == name)
    if duplicate is not None:
        return duplicate
    milestone = Milestone(
        project_id=project.id,
        name=name,
        description=description,
        due_date=due_date,
        visible_to_customer=visible_to_customer,
    )
    db.session.add(milestone)
    db.session.commit()
    return milestone


def update_milestone(
    milestone: Milestone, *, name: str, description: str, due_date: date | None, visible_to_customer: bool
) -> None:
    """Save a milestone's fields and commit."""
    milestone.name = clean_name(name, "milestone")
    milestone.description = clean_text(description, required=False)
    milestone.due_date = due_date
    milestone.visible_to_customer = visible_to_customer
    db.session.commit()


def delete_milestone(milestone: Milestone) -> None:
    """Delete a milestone and commit."""
    db.session.delete(milestone)
    db.session.commit()


# -- files -----------------------------------------------------------------------------------


def add_project_file(
    project: Project, upload: FileStorage, *, author: Author, visible_to_customer: bool = True, notify: bool = True
) -> StoredFile:
    """Store an upload as a file of the project, email the project contacts if the customer
    can see it (unless ``notify`` is False: the audit entry then says the customer was not
    emailed), and commit.

    A contact may upload only to its own customer's project when the project allows
    "view_files" and "upload_files"; its files are always visible to the customer. Size and
    type limits are those of ``core.files``. The same file (name and size) by the same
    uploader twice in a row is stored once. If anything fails, the written bytes are removed.
    """
    settings = project_settings(project)
    if isinstance(author, Contact):
        if author.customer_id != project.customer_id or not {"view_files", "upload_files"} <= settings:
            raise ServiceError(_("Uploading files is not open on this project."))
        visible_to_customer = True
        uploader = {"uploaded_by_contact_id": author.id}
        same_uploader = StoredFile.uploaded_by_contact_id == author.id
    else:
        uploader = {"uploaded_by_staff_id": author.id}
        same_uploader = StoredFile.uploaded_by_staff_id == author.id
    stored = store_upload(
        upload,
        customer_id=project.customer_id,
        project_id=project.id,
        visible_to_customer=visible_to_customer,
        **uploader,
    )
    try:
        duplicate = recent_duplicate(
            StoredFile,
            StoredFile.project_id == project.id,
            StoredFile.original_name == stored.original_name,
            StoredFile.size == stored.size,
            same_uploader,
        )
        if duplicate is not None:
            discard([stored])
            return duplicate
        db.session.add(stored)
        db.session.flush()
        emails = visible_to_customer and "view_files" in settings
        if emails and notify:
            notify_project("project_file_added", project, stored.original_name, author=author)
        record(
            "project_file_added",
            actor=author,
            customer_id=project.customer_id,
            target=stored,
            project_id=project.id,
            name=stored.original_name,
            visible_to_customer=visible_to_customer,
            **({"customer_not_emailed": True} if emails and not notify else {}),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        discard([stored])
        raise
    return stored


def delete_project_file(stored: StoredFile, *, staff: StaffUser) -> None:
    """Delete a project file (row, then bytes once the deletion is committed) and audit it."""
    bytes_to_remove = StoredFile(stored_name=stored.stored_name)
    record(
        "project_file_deleted",
        actor=staff,
        customer_id=stored.customer_id,
        target=stored,
        project_id=stored.project_id,
        name=stored.original_name,
    )
    db.session.delete(stored)
    db.session.commit()
    discard([bytes_to_remove])


# -- discussions -----------------------------------------------------------------------------


def start_discussion(
    project: Project, *, subject: str, description: str = "", visible_to_customer: bool = True
) -> Discussion:
    """Open a discussion on the project and commit; the same subject twice in a row opens one.

    No email: contacts are emailed about the comments ("project_discussion").
    """
    subject = clean_name(subject, "discussion")
    description = clean_text(description, required=False)
    duplicate = recent_duplicate(Discussion, Discussion.project_id == project.id, Discussion.subject == subject)
    if duplicate is not None:
        return duplicate
    discussion = Discussion(
        project_id=project.id, subject=subject, description=description, visible_to_customer=visible_to_customer
    )
    db.session.add(discussion)
    db.session.commit()
    return discussion


def add_discussion_comment(
    discussion: Discussion, body: str, *, author: Author, notify: bool = True
) -> DiscussionComment:
    """Add a comment, email the project contacts if the customer can see the discussion (unless
    ``notify`` is False), and commit.

    A contact may comment only on a visible discussion of its own customer's project that
    allows "view_discussions". The same text by the same author twice in a row is one comment
    (``core.services.comments.post_comment``).
    """
    body = clean_text(body, required=True, empty_message=_("Write a comment first."))
    project = db.session.get(Project, discussion.project_id)
    customer_sees = discussion.visible_to_customer and "view_discussions" in project_settings(project)
    if isinstance(author, Contact) and (author.customer_id != project.customer_id or not customer_sees):
        raise ServiceError(_("Comments are not open on this discussion."))

    def email(_comment: DiscussionComment) -> None:
        notify_project("project_discussion", project, body, author=author)

    effects = email if notify and customer_sees else None
    return post_comment(DiscussionComment, discussion.id, body, author, window=DUPLICATE_WINDOW, effects=effects)
