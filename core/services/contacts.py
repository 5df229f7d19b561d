"""Creating, editing, (de)activating and deleting a customer's contacts.

Rules kept here, nowhere else:
- email addresses are unique across all contacts, compared case-insensitively;
- a customer with contacts has exactly one primary contact (the first one becomes primary,
  making another primary demotes the current one, and the primary cannot just be unset);
- a notification toggle can only be on when the contact holds the permission it needs;
- deleting a contact never deletes the customer's documents (tickets keep a NULL contact);
- a contact's language (its pages, invitation and emails) is one of ``core.i18n.LANGUAGES``;
- a contact staff deactivated stays inactive until staff activate it again (the customer's
  primary contact cannot undo staff's decision);
- a contact's access (permissions), status (active), primary flag and password are changed by
  administrators only: other staff create contacts and edit their details and notification
  toggles (``require_administrator``); every such change by staff is audited with its before
  and after values, and a password set by staff is audited (never the password) and emailed
  to the contact;
- every real change queues its webhook events in the same transaction (``contact.created``,
  ``contact.updated`` for details and the primary flag, ``contact.access_changed`` for
  permissions, toggles and status; none when nothing changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core.audit import record
from core.catalogs import (
    NOTIFICATIONS,
    NOTIFICATIONS_BY_KEY,
    PERMISSION_KEYS,
    PERMISSIONS_BY_KEY,
    allowed_notifications,
)
from core.extensions import db
from core.i18n import LANGUAGES, _, _l
from core.mail.outbox import queue_email
from core.models import Contact, ContactNotification, ContactPermission, Customer, StaffUser, normalize_email
from core.passwords import hash_password, new_session_token, password_problem
from core.webhooks import emit

from . import ServiceError, StaleVersionError
from .passwords import queue_invitation
from .settings import default_contact_permissions

ADMINISTRATORS_ONLY_MESSAGE = _l(
    "Only administrators can change a contact's permissions, status, primary flag or password. Nothing was changed."
)
DEACTIVATED_BY_STAFF_MESSAGE = _l(
    "Our staff deactivated this contact, so only they can activate it again. Please contact us."
)
STALE_MESSAGE = _l("Someone else changed this contact meanwhile. Reload the page and apply your change again.")


@dataclass
class ContactData:
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    position: str = ""
    password: str | None = None
    is_primary: bool = False
    active: bool = True
    permissions: set[str] = field(default_factory=set)
    notifications: set[str] = field(default_factory=set)
    # A code of ``LANGUAGES``; None keeps the contact's language (English for a new contact).
    language: str | None = None


class EmailTakenError(ServiceError):
    """Another contact (of any customer) already uses the address.

    Its message names the address, which is right for staff; a caller that must not reveal
    whether an address is in use elsewhere (the primary contact inviting a colleague) catches
    this type and answers neutrally.
    """


def email_taken(email: str, *, exclude_contact_id: int | None = None) -> bool:
    """True when another contact already uses ``email`` (case-insensitive)."""
    stmt = select(Contact.id).where(func.lower(Contact.email) == normalize_email(email))
    if exclude_contact_id is not None:
        stmt = stmt.where(Contact.id != exclude_contact_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _check(data: ContactData, *, exclude_contact_id: int | None) -> None:
    unknown = (data.permissions - PERMISSION_KEYS) | (data.notifications - set(NOTIFICATIONS_BY_KEY))
    if unknown:
        raise ServiceError(_("Unknown permission or notification: %(keys)s", keys=", ".join(sorted(unknown))))
    missing = [n for n in NOTIFICATIONS if n.key in data.notifications - allowed_notifications(data.permissions)]
    if missing:
        raise ServiceError(
            "; ".join(
                _(
                    "%(notification)s emails need the %(permission)s permission",
                    notification=n.label,
                    permission=PERMISSIONS_BY_KEY[n.permission].label,
                )
                for n in missing
            )
            + "."
        )
    if data.language is not None and data.language not in LANGUAGES:
        raise ServiceError(_("This language is not available."))
    if data.password and (problem := password_problem(data.password, data.email)):
        raise ServiceError(problem)
    if email_taken(data.email, exclude_contact_id=exclude_contact_id):
        raise EmailTakenError(
            _("A contact with the email address %(email)s already exists.", email=normalize_email(data.email))
        )


def _apply(contact: Contact, data: ContactData) -> None:
    contact.first_name = data.first_name.strip()
    contact.last_name = data.last_name.strip()
    contact.email = normalize_email(data.email)
    contact.phone = data.phone.strip()
    contact.position = data.position.strip()
    contact.active = data.active
    if data.language is not None:
        contact.language = data.language
    if data.password:
        contact.password_hash = hash_password(data.password)
        contact.session_token = new_session_token()
    if contact.permissions != data.permissions:
        contact.permission_rows = [ContactPermission(permission=key) for key in sorted(data.permissions)]
    if contact.notifications != data.notifications:
        contact.notification_rows = [ContactNotification(notification=key) for key in sorted(data.notifications)]


def _demote_others(contact: Contact) -> None:
    db.session.execute(
        update(Contact)
        .where(Contact.customer_id == contact.customer_id, Contact.id != contact.id, Contact.is_primary)
        .values(is_primary=False, version=Contact.version + 1)
        .execution_options(synchronize_session="fetch")
    )


def _has_other_contacts(contact: Contact) -> bool:
    stmt = select(Contact.id).where(Contact.customer_id == contact.customer_id, Contact.id != contact.id)
    return db.session.scalar(stmt.limit(1)) is not None


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        # The only unique column a contact save can clash on is the email (a concurrent save).
        raise EmailTakenError(_("A contact with this email address already exists.")) from exc
    except StaleDataError as exc:
        db.session.rollback()
        raise StaleVersionError(str(STALE_MESSAGE)) from exc


def is_administrator(actor) -> bool:
    """True for an actor who may change contact access: an administrator, or the application
    itself (``None``: factories, the CLI, services such as colleagues that enforce their own rules)."""
    return not isinstance(actor, StaffUser) or actor.is_admin


def require_administrator(actor, contact: Contact | None, data: ContactData) -> None:
    """Refuse (``ServiceError``) when staff who are not administrators would change access.

    For a new contact (``contact`` None) that means anything but the default permissions, an
    active non-primary contact without a password; for an existing one, any change of its
    permissions, active or primary flag, or a password. Hidden form fields are not a defence.
    """
    if is_administrator(actor):
        return
    if contact is None:
        changes = (
            data.permissions != default_contact_permissions() or not data.active or data.is_primary or data.password
        )
    else:
        changes = (
            data.permissions != contact.permissions
            or data.active != contact.active
            or data.is_primary != contact.is_primary
            or data.password
        )
    if changes:
        raise ServiceError(str(ADMINISTRATORS_ONLY_MESSAGE))


def _password_set_by_staff(contact: Contact, actor) -> None:
    """Audit (without the password) and tell the contact by email that staff set its password."""
    record("contact.password_set_by_staff", actor=actor, customer_id=contact.customer_id, target=contact)
    queue_email("password_set_by_staff", contact)


def create_contact(customer: Customer, data: ContactData, *, invite: bool = False, actor=None) -> Contact:
    """Create a contact of ``customer`` and commit; the customer's first contact is primary.

    ``invite`` queues the set-password email in the same transaction. With a staff ``actor``,
    the creation (with the access given) is audited, and only administrators may give anything
    but the defaults or set a password.
    """
    require_administrator(actor, None, data)
    _check(data, exclude_contact_id=None)
    contact = Contact(customer_id=customer.id, session_token=new_session_token())
    first = db.session.scalar(select(Contact.id).where(Contact.customer_id == customer.id).limit(1)) is None
    _apply(contact, data)
    contact.is_primary = first or data.is_primary
    db.session.add(contact)
    db.session.flush()
    if contact.is_primary and not first:
        _demote_others(contact)
    emit("contact.created", contact)
    if isinstance(actor, StaffUser):
        record(
            "contact.created",
            actor=actor,
            customer_id=customer.id,
            target=contact,
            after=_audited_state(contact),
        )
        if data.password:
            _password_set_by_staff(contact, actor)
    if invite:
        queue_invitation(contact)
    _commit()
    return contact


def update_contact(
    contact: Contact, data: ContactData, *, expected_version: int | None = None, invite: bool = False, actor=None
) -> Contact:
    """Apply ``data`` to ``contact`` and commit, enforcing the primary-contact rule.

    ``expected_version`` (from the form) refuses a save based on a stale page. ``invite``
    queues a set-password email (to the saved address, in the saved language) in the same
    transaction, so a refused save emails nothing. With an
    ``actor`` (the staff member saving), changes of permissions, toggles, primary or active
    are written to the audit log with their before and after values, a password set is
    audited and emailed to the contact, and staff who are not administrators cannot change
    access, status, primary flag or password (``require_administrator``).
    """
    if expected_version is not None and expected_version != contact.version:
        raise StaleVersionError(str(STALE_MESSAGE))
    require_administrator(actor, contact, data)
    _check(data, exclude_contact_id=contact.id)
    if contact.is_primary and not data.is_primary:
        raise ServiceError(_("A customer always has one primary contact: make another contact primary instead."))
    if data.active is False and contact.active:
        contact.session_token = new_session_token()
    before = _audited_state(contact)
    before_webhook = _webhook_state(contact)
    if data.active and not contact.active and contact.deactivated_by_staff and not isinstance(actor, StaffUser):
        raise ServiceError(str(DEACTIVATED_BY_STAFF_MESSAGE))
    _apply(contact, data)
    if before["active"] != contact.active:
        contact.deactivated_by_staff = not contact.active and isinstance(actor, StaffUser)
    if data.is_primary and not contact.is_primary:
        contact.is_primary = True
        _demote_others(contact)
    after = _audited_state(contact)
    _emit_changes(contact, before_webhook)
    if actor is not None and before != after:
        changed = {key: {"before": before[key], "after": after[key]} for key in before if before[key] != after[key]}
        record("contact.access_changed", actor=actor, customer_id=contact.customer_id, target=contact, **changed)
    if isinstance(actor, StaffUser) and data.password:
        _password_set_by_staff(contact, actor)
    if invite:
        queue_invitation(contact)
    _commit()
    return contact


# What each webhook event reports as changed (``contact.updated``, ``contact.access_changed``).
_DETAILS = ("first_name", "last_name", "email", "phone", "position", "language", "is_primary")
_ACCESS = ("permissions", "notifications", "active")


def _webhook_state(contact: Contact) -> dict:
    return {
        **{name: getattr(contact, name) for name in _DETAILS},
        "permissions": frozenset(contact.permissions),
        "notifications": frozenset(contact.notifications),
        "active": contact.active,
    }


def _emit_changes(contact: Contact, before: dict) -> None:
    """Queue ``contact.updated`` and/or ``contact.access_changed`` for what really changed."""
    after = _webhook_state(contact)
    for event, names in (("contact.updated", _DETAILS), ("contact.access_changed", _ACCESS)):
        changed = tuple(name for name in names if before[name] != after[name])
        if changed:
            emit(event, contact, changed=changed)


def _audited_state(contact: Contact) -> dict:
    return {
        "permissions": sorted(contact.permissions),
        "notifications": sorted(contact.notifications),
        "is_primary": contact.is_primary,
        "active": contact.active,
        "email": contact.email,
    }


def _refuse_unless_administrator(actor) -> None:
    if not is_administrator(actor):
        raise ServiceError(str(ADMINISTRATORS_ONLY_MESSAGE))


def set_active(contact: Contact, active: bool, *, actor=None) -> None:
    """Activate or deactivate ``contact`` and commit; deactivation ends its sessions.

    With a staff ``actor`` (administrators only) the change is audited with before and after.
    A contact staff deactivated can be activated again by staff only: a contact ``actor`` (the
    customer's primary contact) is refused.
    """
    _refuse_unless_administrator(actor)
    if contact.active == active:
        return
    if active and contact.deactivated_by_staff and not isinstance(actor, StaffUser):
        raise ServiceError(str(DEACTIVATED_BY_STAFF_MESSAGE))
    contact.deactivated_by_staff = not active and isinstance(actor, StaffUser)
    if isinstance(actor, StaffUser):
        record(
            "contact.status_changed",
            actor=actor,
            customer_id=contact.customer_id,
            target=contact,
            active={"before": contact.active, "after": active},
        )
    contact.active = active
    if not active:
        contact.session_token = new_session_token()
    emit("contact.access_changed", contact, changed=("active",))
    _commit()


def make_primary(contact: Contact, *, actor=None) -> None:
    """Make ``contact`` the customer's primary contact, demoting the previous one, and commit.

    With a staff ``actor`` (administrators only) the change is audited: the previous primary
    contact before, this one after.
    """
    _refuse_unless_administrator(actor)
    if contact.is_primary:
        return
    if isinstance(actor, StaffUser):
        previous = db.session.scalar(
            select(Contact.email).where(Contact.customer_id == contact.customer_id, Contact.is_primary).limit(1)
        )
        record(
            "contact.primary_changed",
            actor=actor,
            customer_id=contact.customer_id,
            target=contact,
            primary_contact={"before": previous, "after": contact.email},
        )
    contact.is_primary = True
    _demote_others(contact)
    emit("contact.updated", contact, changed=("is_primary",))
    _commit()


def delete_contact(contact: Contact, *, actor=None) -> None:
    """Delete ``contact`` and commit. The customer's documents stay; tickets keep no contact.

    A primary contact can only be deleted when it is the customer's last contact. With a staff
    ``actor`` (administrators only) the deletion is audited with the access the contact had.
    """
    _refuse_unless_administrator(actor)
    if contact.is_primary and _has_other_contacts(contact):
        raise ServiceError(_("This is the primary contact: make another contact primary before deleting it."))
    if isinstance(actor, StaffUser):
        record(
            "contact.deleted",
            actor=actor,
            customer_id=contact.customer_id,
            target=contact,
            name=contact.full_name,
            before=_audited_state(contact),
            after=None,
        )
    db.session.delete(contact)
    _commit()


def set_own_notifications(contact: Contact, keys: set[str]) -> None:
    """The contact's own choice of notification emails, limited to its permissions; commits.

    Keys for features the contact may not use are ignored: preferences never widen access.
    """
    allowed = set(keys) & allowed_notifications(contact.permissions)
    if contact.notifications != allowed:
        contact.notification_rows = [ContactNotification(notification=key) for key in sorted(allowed)]
        emit("contact.access_changed", contact, changed=("notifications",))
    _commit()


def unsubscribe(contact: Contact, notification: str) -> bool:
    """Switch one notification type off for ``contact`` and commit; False if it was already off."""
    if notification not in contact.notifications:
        return False
    contact.notification_rows = [row for row in contact.notification_rows if row.notification != notification]
    emit("contact.access_changed", contact, changed=("notifications",))
    _commit()
    return True
