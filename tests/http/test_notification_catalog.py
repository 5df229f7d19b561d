"""The catalogs' one rule that an email needs its permission (``notification_allowed``), for
every notification and every set of permissions, and the form script's data taken from it."""

from __future__ import annotations

from html import unescape
from itertools import chain, combinations

import pytest

from core.catalogs import NOTIFICATIONS, PERMISSION_KEYS, PERMISSIONS, allowed_notifications, notification_allowed

ALL_SUBSETS = [frozenset(c) for c in chain.from_iterable(combinations(sorted(PERMISSION_KEYS), n) for n in range(7))]


@pytest.mark.parametrize("notification", NOTIFICATIONS, ids=lambda n: n.key)
def test_an_email_is_allowed_exactly_when_its_permission_is_held(notification):
    assert notification.permission in PERMISSION_KEYS
    for permissions in ALL_SUBSETS:
        assert notification_allowed(notification.key, permissions) == (notification.permission in permissions)


def test_allowed_notifications_is_the_same_rule_for_all_at_once():
    for permissions in ALL_SUBSETS:
        expected = {n.key for n in NOTIFICATIONS if notification_allowed(n.key, permissions)}
        assert allowed_notifications(permissions) == expected
    assert allowed_notifications(frozenset()) == frozenset()
    assert allowed_notifications(PERMISSION_KEYS) == {n.key for n in NOTIFICATIONS}


def test_the_contact_forms_script_reads_the_catalogs_mapping(admin_client, f):
    customer = f.make_customer()
    html = admin_client.get(f"/admin/customers/{customer.id}/contacts/new").get_data(as_text=True)
    for n in NOTIFICATIONS:
        assert f'name="notify_{n.key}"' in html
        assert f'data-needs-permission="{n.permission}"' in html


def test_the_contact_form_describes_each_permission_and_notification(admin_client, f):
    """What each box grants or sends, from the catalogs (so "Project" and "Task" emails differ)."""
    customer = f.make_customer()
    html = admin_client.get(f"/admin/customers/{customer.id}/contacts/new").get_data(as_text=True)
    for item, prefix in [*((p, "perm") for p in PERMISSIONS), *((n, "notify") for n in NOTIFICATIONS)]:
        name = f"{prefix}_{item.key}"
        assert f'aria-describedby="{name}-help"' in html
        assert f'<div class="form-text" id="{name}-help">{item.description}</div>' in unescape(html)
