"""The two catalogs that drive the product: contact permissions and email notifications.

Everything that depends on "which features" or "which emails" reads these tuples: the admin
contact form, the portal menu, the route guards, recipient selection and the tests. Adding a
feature means adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    key: str
    label: str
    description: str


@dataclass(frozen=True)
class Notification:
    key: str
    label: str
    description: str
    permission: str  # the permission a contact must hold to receive these emails


PERMISSIONS: tuple[Permission, ...] = (
    Permission("invoices", "Invoices", "Invoices, credit notes, payments and statements"),
    Permission("estimates", "Estimates", "Estimates: view, accept or decline"),
    Permission("contracts", "Contracts", "Contracts: view and sign"),
    Permission("proposals", "Proposals", "Proposals: view, accept, decline and comment"),
    Permission("support", "Support", "Support tickets: open, reply and close"),
    Permission("projects", "Projects", "Projects, tasks, milestones, files and discussions"),
)

NOTIFICATIONS: tuple[Notification, ...] = (
    Notification("invoice", "Invoice", "Invoice sent, overdue and due-soon notices, payments", "invoices"),
    Notification("credit_note", "Credit Note", "Credit note sent", "invoices"),
    Notification("estimate", "Estimate", "Estimate sent, expiry reminder, confirmations", "estimates"),
    Notification("ticket", "Tickets", "Replies to the contact's own tickets", "support"),
    Notification("contract", "Contract", "Contract sent, comments, expiry reminder", "contracts"),
    Notification("task", "Task", "Customer-visible tasks: created, commented, status changed", "projects"),
    Notification("project", "Project", "Project created or finished, files, discussions", "projects"),
)

PERMISSION_KEYS: frozenset[str] = frozenset(p.key for p in PERMISSIONS)
NOTIFICATION_KEYS: frozenset[str] = frozenset(n.key for n in NOTIFICATIONS)
PERMISSIONS_BY_KEY: dict[str, Permission] = {p.key: p for p in PERMISSIONS}
NOTIFICATIONS_BY_KEY: dict[str, Notification] = {n.key: n for n in NOTIFICATIONS}


def notification_allowed(notification_key: str, permissions: set[str] | frozenset[str]) -> bool:
    """True when a contact holding ``permissions`` may have ``notification_key`` switched on."""
    return NOTIFICATIONS_BY_KEY[notification_key].permission in permissions


@dataclass(frozen=True)
class ProjectSetting:
    key: str
    label: str


# What the customer sees and may do on one project (set per project by staff). Tabs for
# invoices, estimates, contracts, proposals and tickets additionally need the contact's
# permission of the same name.
PROJECT_SETTINGS: tuple[ProjectSetting, ...] = (
    ProjectSetting("view_tasks", "Customer sees tasks shared with it"),
    ProjectSetting("comment_tasks", "Customer may comment on tasks"),
    ProjectSetting("view_milestones", "Customer sees milestones"),
    ProjectSetting("view_files", "Customer sees and downloads files"),
    ProjectSetting("upload_files", "Customer may upload files"),
    ProjectSetting("view_discussions", "Customer sees and joins discussions"),
    ProjectSetting("view_finance", "Customer sees the project's invoices, estimates, contracts and proposals"),
    ProjectSetting("view_tickets", "Customer sees the project's tickets"),
)
PROJECT_SETTING_KEYS: frozenset[str] = frozenset(s.key for s in PROJECT_SETTINGS)
DEFAULT_PROJECT_SETTINGS: frozenset[str] = frozenset(
    {"view_tasks", "comment_tasks", "view_milestones", "view_files", "view_discussions", "view_finance", "view_tickets"}
)
