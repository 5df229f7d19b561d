"""The customer-area menu, derived from the permission catalog."""

from __future__ import annotations

from core.catalogs import PERMISSIONS

# Where each permission's feature lives; a permission without an entry here fails at import.
FEATURE_ENDPOINTS = {
    "invoices": "portal.invoices.index",
    "estimates": "portal.estimates.index",
    "contracts": "portal.contracts.index",
    "proposals": "portal.proposals.index",
    "support": "portal.tickets.index",
    "projects": "portal.projects.index",
}
if set(FEATURE_ENDPOINTS) != {p.key for p in PERMISSIONS}:
    raise RuntimeError("every permission needs exactly one feature page in FEATURE_ENDPOINTS")


def menu_for(contact) -> list[tuple[str, str, str]]:
    """(permission key, label, endpoint) for each feature ``contact`` may use, catalog order."""
    granted = contact.permissions  # one set for the whole menu (``can`` builds it on each call)
    return [(p.key, p.label, FEATURE_ENDPOINTS[p.key]) for p in PERMISSIONS if p.key in granted]
