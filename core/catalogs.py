"""The two catalogs that drive the product: contact permissions and email notifications.

Everything that depends on "which features" or "which emails" reads these tuples: the admin
contact form, the portal menu, the route guards, recipient selection and the tests. Adding a
feature means adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import _l


@dataclass(frozen=True)
class Permission:
    key: str
    label: str  # a lazy string (``_l``): ``str(...)`` it where a real ``str`` is needed
    description: str
    endpoint: str  # the feature's page in the customer area (the menu's entry)


@dataclass(frozen=True)
class Notification:
    key: str
    label: str  # a lazy string (``_l``): ``str(...)`` it where a real ``str`` is needed
    description: str
    permission: str  # the permission a contact must hold to receive these emails


PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        key="invoices",
        label=_l("Invoices"),
        description=_l("Invoices, credit notes, payments and statements"),
        endpoint="portal.invoices.index",
    ),
    Permission(
        key="estimates",
        label=_l("Estimates"),
        description=_l("Estimates: view, accept or decline"),
        endpoint="portal.estimates.index",
    ),
    Permission(
        key="contracts",
        label=_l("Contracts"),
        description=_l("Contracts: view and sign"),
        endpoint="portal.contracts.index",
    ),
    Permission(
        key="proposals",
        label=_l("Proposals"),
        description=_l("Proposals: view, accept, decline and comment"),
        endpoint="portal.proposals.index",
    ),
    Permission(
        key="support",
        label=_l("Support"),
        description=_l("Support tickets: open, reply and close"),
        endpoint="portal.tickets.index",
    ),
    Permission(
        key="projects",
        label=_l("Projects"),
        description=_l("Projects, tasks, milestones, files and discussions"),
        endpoint="portal.projects.index",
    ),
)

NOTIFICATIONS: tuple[Notification, ...] = (
    Notification(
        key="invoice",
        label=_l("Invoice"),
        description=_l("Invoice sent, overdue and due-soon notices, payments"),
        permission="invoices",
    ),
    Notification(
        key="credit_note",
        label=_l("Credit Note"),
        description=_l("Credit note sent"),
        permission="invoices",
    ),
    Notification(
        key="estimate",
        label=_l("Estimate"),
        description=_l("Estimate sent, expiry reminder, confirmations"),
        permission="estimates",
    ),
    Notification(
        key="ticket",
        label=_l("Tickets"),
        description=_l("Replies to the contact's own tickets"),
        permission="support",
    ),
    Notification(
        key="contract",
        label=_l("Contract"),
        description=_l("Contract sent, comments, expiry reminder"),
        permission="contracts",
    ),
    Notification(
        key="task",
        label=_l("Task"),
        description=_l("Customer-visible tasks: created, commented, status changed"),
        permission="projects",
    ),
    Notification(
        key="project",
        label=_l("Project"),
        description=_l("Project created or finished, files, discussions"),
        permission="projects",
    ),
)

PERMISSION_KEYS: frozenset[str] = frozenset(p.key for p in PERMISSIONS)
NOTIFICATION_KEYS: frozenset[str] = frozenset(n.key for n in NOTIFICATIONS)
PERMISSIONS_BY_KEY: dict[str, Permission] = {p.key: p for p in PERMISSIONS}
NOTIFICATIONS_BY_KEY: dict[str, Notification] = {n.key: n for n in NOTIFICATIONS}


def notification_allowed(notification_key: str, permissions: set[str] | frozenset[str]) -> bool:
    """True when a contact holding ``permissions`` may have ``notification_key`` switched on.

    The one rule "a notification needs its permission": the contact services (staff's form, a
    primary contact's colleagues, a contact's own choice) and the recipient rule
    (``Contact.receives``) use it; the contact forms' script reads the same mapping from the
    ``data-needs-permission`` attributes rendered from ``NOTIFICATIONS``.
    """
    return NOTIFICATIONS_BY_KEY[notification_key].permission in permissions


def allowed_notifications(permissions: set[str] | frozenset[str]) -> frozenset[str]:
    """The notification keys a contact holding ``permissions`` may have switched on."""
    return frozenset(n.key for n in NOTIFICATIONS if notification_allowed(n.key, permissions))


@dataclass(frozen=True)
class ProjectSetting:
    key: str
    label: str


# What the customer sees and may do on one project (set per project by staff). Tabs for
# invoices, estimates, contracts, proposals and tickets additionally need the contact's
# permission of the same name.
PROJECT_SETTINGS: tuple[ProjectSetting, ...] = (
    ProjectSetting(key="view_tasks", label=_l("Customer sees tasks shared with it")),
    ProjectSetting(key="comment_tasks", label=_l("Customer may comment on tasks")),
    ProjectSetting(key="view_milestones", label=_l("Customer sees milestones")),
    ProjectSetting(key="view_files", label=_l("Customer sees and downloads files")),
    ProjectSetting(key="upload_files", label=_l("Customer may upload files")),
    ProjectSetting(key="view_discussions", label=_l("Customer sees and joins discussions")),
    ProjectSetting(
        key="view_finance", label=_l("Customer sees the project's invoices, estimates, contracts and proposals")
    ),
    ProjectSetting(key="view_tickets", label=_l("Customer sees the project's tickets")),
)
PROJECT_SETTING_KEYS: frozenset[str] = frozenset(s.key for s in PROJECT_SETTINGS)
DEFAULT_PROJECT_SETTINGS: frozenset[str] = frozenset(
    {"view_tasks", "comment_tasks", "view_milestones", "view_files", "view_discussions", "view_finance", "view_tickets"}
)
