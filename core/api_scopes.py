"""The one catalog of the REST API's resource groups, and the scopes derived from it.

A token is granted, per resource group, nothing, read, or read and write. Read is
``<group>:read`` (GET), write is ``<group>:write`` (every other method) and always comes with
read. The admin token form, the token service, the API's per-blueprint guard and the tests all
read ``RESOURCE_GROUPS``: adding a group of resources means adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import _l

READ, WRITE = "read", "write"
ACCESS_LEVELS = (READ, WRITE)


@dataclass(frozen=True)
class ResourceGroup:
    key: str
    label: str  # a lazy string (``_l``)
    description: str

    @property
    def read_scope(self) -> str:
        return scope_name(self.key, READ)

    @property
    def write_scope(self) -> str:
        return scope_name(self.key, WRITE)


RESOURCE_GROUPS: tuple[ResourceGroup, ...] = (
    ResourceGroup("customers", _l("Customers"), _l("Customer companies")),
    ResourceGroup("contacts", _l("Contacts"), _l("Contacts with their permissions and email notifications")),
    ResourceGroup("sales", _l("Sales"), _l("Invoices, credit notes, estimates, proposals and contracts")),
    ResourceGroup("projects", _l("Projects"), _l("Projects and tasks")),
    ResourceGroup("tickets", _l("Tickets"), _l("Support tickets and replies")),
)
RESOURCE_GROUPS_BY_KEY: dict[str, ResourceGroup] = {group.key: group for group in RESOURCE_GROUPS}


def scope_name(group: str, level: str) -> str:
    """``contacts:read``: the scope giving ``level`` access to the resource group ``group``."""
    return f"{group}:{level}"


SCOPES: frozenset[str] = frozenset(scope_name(g.key, level) for g in RESOURCE_GROUPS for level in ACCESS_LEVELS)


def scopes_for(levels: dict[str, str | None]) -> frozenset[str]:
    """The scopes of a grant ``{group: None | "read" | "write"}``; write includes read.

    Unknown groups or levels raise ``ValueError`` (the callers validate input before).
    """
    scopes = set()
    for group, level in levels.items():
        if group not in RESOURCE_GROUPS_BY_KEY or level not in (None, "", READ, WRITE):
            raise ValueError(f"unknown resource group or access level: {group}={level}")
        if level:
            scopes.add(scope_name(group, READ))
        if level == WRITE:
            scopes.add(scope_name(group, WRITE))
    return frozenset(scopes)


def required_scope(group: str, method: str) -> str:
    """The scope a request with HTTP ``method`` on resources of ``group`` needs."""
    return scope_name(group, READ if method in ("GET", "HEAD", "OPTIONS") else WRITE)
