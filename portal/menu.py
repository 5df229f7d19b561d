"""The customer-area menu, derived from the permission catalog (each entry's page is the
permission's ``endpoint`` in ``core.catalogs``)."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from flask import request

from core.catalogs import PERMISSIONS
from core.i18n import current_language
from core.urls import cached_url_for


class MenuItem(NamedTuple):
    key: str  # the permission
    label: str
    url: str
    active: bool  # the current page belongs to this feature


def menu_for(contact, endpoint: str | None) -> tuple[MenuItem, ...]:
    """The menu entries of the features ``contact`` may use, in catalog order; the one whose
    blueprint holds ``endpoint`` (the current page) is active.

    Built here rather than in the layout: on every page the template would otherwise make
    three calls per entry (URL, active test), each through Jinja's call machinery. The entries
    depend only on the permissions, the page, the language and where the app is mounted, so
    each combination is built once per process."""
    return _menu(contact.permissions, endpoint or "", current_language(), request.script_root)


@lru_cache(maxsize=2048)
def _menu(granted: frozenset[str], endpoint: str, language: str, script_root: str) -> tuple[MenuItem, ...]:
    items = []
    for permission in PERMISSIONS:
        if permission.key in granted:
            active = endpoint.startswith(permission.endpoint.rsplit(".", 1)[0])
            items.append(MenuItem(permission.key, str(permission.label), cached_url_for(permission.endpoint), active))
    return tuple(items)
