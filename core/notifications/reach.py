"""Notifications that reach nobody at a customer, and the one sentence that says so.

The contacts tab warns about them and the send dialog says the same sentence when nobody is
preselected, so staff read one message in both places (``nobody_receives``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.catalogs import (
    NOTIFICATIONS,
    NOTIFICATIONS_BY_KEY,
    PERMISSIONS_BY_KEY,
    Notification,
    Permission,
    notification_allowed,
)
from core.document_kinds import SENDABLE_KINDS
from core.i18n import _
from core.models import Contact

# Notifications of documents staff send from a dialog, where recipients can be picked by hand.
SENT_FROM_A_DIALOG: frozenset[str] = frozenset(kind.notification for kind in SENDABLE_KINDS)


@dataclass(frozen=True)
class Unreached:
    """A notification nobody receives, and the contacts who could: they may log in and hold its
    permission, so switching the toggle on for one of them is all it takes."""

    notification: Notification
    candidates: tuple[Contact, ...]

    @property
    def permission(self) -> Permission:
        """The permission the candidates hold (the one the notification needs)."""
        return PERMISSIONS_BY_KEY[self.notification.permission]


def unreached_notifications(contacts: Iterable[Contact]) -> list[Unreached]:
    """The notifications (catalog order) that none of ``contacts`` receives although one of them
    could: some contact who may log in holds the permission the notification needs.

    "Receives" is the recipient rule itself (``Contact.receives``). A notification whose feature
    nobody at the customer may use is left out: it reaches nobody on purpose (a Projects-only
    customer gets no invoice emails), and listing it would bury the real trap.
    """
    contacts = list(contacts)
    found = []
    for n in NOTIFICATIONS:
        if any(c.receives(n.key) for c in contacts):
            continue
        candidates = tuple(c for c in contacts if c.may_log_in and notification_allowed(n.key, c.permissions))
        if candidates:
            found.append(Unreached(n, candidates))
    return found


def nobody_receives(company: str, notification_key: str) -> str:
    """The sentence "nobody at ``company`` receives these emails automatically", in the current
    language; for a document staff send from a dialog it adds that recipients can still be
    picked by hand there. The contacts tab and the send dialog both show exactly this."""
    label = NOTIFICATIONS_BY_KEY[notification_key].label
    text = _(
        "Nobody at %(company)s receives %(notification)s emails automatically.", company=company, notification=label
    )
    if notification_key in SENT_FROM_A_DIALOG:
        text += " " + _("You can still pick recipients by hand when you send.")
    return text
