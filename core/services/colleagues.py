"""The primary contact as the customer's own administrator: company details and colleagues.

Rules kept here, nowhere else:
- only the customer's primary contact edits the company details, and only ``COMPANY_FIELDS``
  (the company name, currency and active flag stay with staff);
- managing colleagues additionally needs the ``PRIMARY_MANAGES_CONTACTS`` setting;
- the primary contact hands out only access it holds itself (the *ceiling*): it cannot grant a
  permission it lacks, and permissions or toggles outside its own features that staff gave a
  colleague stay exactly as they are;
- it never changes its own access here, never touches another customer's contact, and never
  makes anyone primary; a colleague staff deactivated stays inactive until staff activate it;
- every change is written to the audit log in the transaction that makes it.

The contact rules themselves (unique email, toggles need their permission, stale edits) are
enforced by ``core.services.contacts``, which these functions build on.
"""

from __future__ import annotations

from sqlalchemy import select

from core.audit import record
from core.catalogs import NOTIFICATIONS, NOTIFICATIONS_BY_KEY, PERMISSIONS, PERMISSIONS_BY_KEY, allowed_notifications
from core.extensions import db
from core.i18n import _, _l
from core.models import Contact, Customer

from . import ServiceError
from .contacts import ContactData, EmailTakenError, create_contact, normalize_email, set_active, update_contact
from .customers import save_customer
from .settings import PRIMARY_MANAGES_CONTACTS, get_bool_setting

# What the primary contact may change about its company; everything else is staff's.
COMPANY_FIELDS: tuple[str, ...] = ("vat_number", "phone", "address", "city", "zip_code", "country", "website")

NOT_YOURSELF = _l("You cannot change your own access here. Ask us if your own access needs to change.")

# One answer for every reason an address cannot be invited (a colleague has it already, a
# contact of another customer has it, ...): whether and where an address is in use is not the
# inviter's to learn. Staff see the reason in the audit log.
ADDRESS_REFUSED = _l(
    "This email address cannot be invited here. Please use another address, or ask us if this colleague needs access."
)


def may_manage_company(contact: Contact) -> bool:
    """True when ``contact`` may see and edit its company's details (the primary contact)."""
    return bool(contact.is_primary)


def may_manage_colleagues(contact: Contact) -> bool:
    """True when ``contact`` is primary and the administrators let primary contacts manage colleagues."""
    return may_manage_company(contact) and get_bool_setting(PRIMARY_MANAGES_CONTACTS)


def manageable_permissions(primary: Contact) -> frozenset[str]:
    """The permissions ``primary`` may grant or revoke: exactly the ones it holds itself."""
    return primary.permissions


def manageable_notifications(primary: Contact) -> frozenset[str]:
    """The notification toggles ``primary`` may switch: those of features it uses itself."""
    return allowed_notifications(primary.permissions)


def _ordered(keys, catalog) -> list[str]:
    """``keys`` in catalog order, so audit lists read the same way every time."""
    return [item.key for item in catalog if item.key in keys]


def _require_primary(primary: Contact) -> None:
    if not may_manage_company(primary):
        raise ServiceError(_("Only your company's primary contact can do this."))


def check_manageable(primary: Contact, colleague: Contact) -> None:
    """Refuse (``ServiceError``) unless ``primary`` may change ``colleague``'s access.

    Callers load ``colleague`` through the customer scope (a stranger is a 404 there); this
    check repeats it so the rule holds for any caller.
    """
    _require_primary(primary)
    if colleague.customer_id != primary.customer_id:
        raise ServiceError(_("This contact does not exist."))
    if colleague.id == primary.id or colleague.is_primary:
        raise ServiceError(str(NOT_YOURSELF))


def _refuse_beyond_ceiling(primary: Contact, granted: set[str]) -> None:
    beyond = granted - manageable_permissions(primary)
    if beyond:
        labels = ", ".join(str(PERMISSIONS_BY_KEY[k].label) if k in PERMISSIONS_BY_KEY else k for k in sorted(beyond))
        raise ServiceError(
            _(
                "You can only give colleagues access that you have yourself. "
                "You do not have: %(permissions)s. Nothing was changed.",
                permissions=labels,
            )
        )


def _commit_or_rollback(action):
    """Run a contacts/customers service call that commits; on refusal drop our pending audit entry.

    Those services raise some refusals before touching the session, without rolling back; the
    audit entry already added must not ride along with the next unrelated commit.
    """
    try:
        return action()
    except ServiceError:
        db.session.rollback()
        raise


def update_company(primary: Contact, values: dict, *, expected_version: int | None = None) -> bool:
    """Apply the ``COMPANY_FIELDS`` in ``values`` to ``primary``'s company and commit.

    Any other key (company, currency, active, ...) is ignored. Records "company.updated" with
    the changed fields before/after. Returns False (and writes nothing) when nothing changed.
    """
    _require_primary(primary)
    customer: Customer = primary.customer
    if expected_version is not None and expected_version != customer.version:
        raise ServiceError(_("Someone else changed your company's details meanwhile. Reload the page and try again."))
    new = {name: (values.get(name) or "").strip() for name in COMPANY_FIELDS if name in values}
    changed = {name: value for name, value in new.items() if value != (getattr(customer, name) or "")}
    if not changed:
        return False
    record(
        "company.updated",
        actor=primary,
        customer_id=customer.id,
        target=customer,
        before={name: getattr(customer, name) for name in changed},
        after=changed,
    )
    _commit_or_rollback(lambda: save_customer(customer, changed, expected_version=expected_version))
    return True


def invite_colleague(
    primary: Contact,
    *,
    first_name: str,
    last_name: str,
    email: str,
    permissions: set[str],
    notifications: set[str],
) -> Contact:
    """Create an active, non-primary colleague of ``primary``'s customer and queue its invitation.

    The colleague chooses its password from the emailed set-password link. Permissions beyond
    ``primary``'s own are refused. The contact, the invitation email and the "colleague.invited"
    audit entry are committed together. An address already in use, by a colleague or by a
    contact of another customer, gets the neutral ``ADDRESS_REFUSED`` (nobody is emailed); the
    real reason goes to the audit log as "colleague.invite_refused".
    """
    _require_primary(primary)
    _refuse_beyond_ceiling(primary, set(permissions))
    data = ContactData(
        first_name=first_name,
        last_name=last_name,
        email=email,
        permissions=set(permissions),
        notifications=set(notifications),
        is_primary=False,
        active=True,
        password=None,
        # The colleague's invitation goes out in the language of the contact who invites.
        language=primary.language,
    )
    entry = record(
        "colleague.invited",
        actor=primary,
        customer_id=primary.customer_id,
        email=email.strip().lower(),
        name=f"{first_name.strip()} {last_name.strip()}".strip(),
        permissions=_ordered(data.permissions, PERMISSIONS),
        notifications=_ordered(data.notifications, NOTIFICATIONS),
    )
    entry.target_type = "Contact"
    try:
        contact = _commit_or_rollback(lambda: create_contact(primary.customer, data, invite=True))
    except EmailTakenError:
        _record_refused_address(primary, email)
        raise ServiceError(str(ADDRESS_REFUSED)) from None
    # The contact's id exists only once create_contact has flushed and committed (with this
    # entry and the invitation in the same transaction); link the entry to it afterwards.
    entry.target_id = contact.id
    db.session.commit()
    return contact


def _record_refused_address(primary: Contact, email: str) -> None:
    """Audit (for staff only) why ``email`` could not be invited by ``primary``; commit."""
    address = normalize_email(email)
    owner = db.session.scalar(select(Contact).where(Contact.email == address))
    same_customer = owner is not None and owner.customer_id == primary.customer_id
    record(
        "colleague.invite_refused",
        actor=primary,
        customer_id=primary.customer_id,
        target=owner,
        email=address,
        reason=(
            "colleague_has_address"
            if same_customer
            else "address_used_by_another_customer"
            if owner is not None
            else "address_in_use"
        ),
        used_by_customer_id=getattr(owner, "customer_id", None),
    )
    db.session.commit()


def change_colleague_access(
    primary: Contact,
    colleague: Contact,
    permissions: set[str],
    notifications: set[str],
    *,
    expected_version: int | None = None,
) -> bool:
    """Set ``colleague``'s permissions and notification toggles within ``primary``'s ceiling; commit.

    Granting a permission ``primary`` lacks is refused; what lies outside the ceiling stays as it
    is. A toggle whose permission the colleague will not hold is refused by the contacts
    service. Records "colleague.permissions_changed" / "colleague.notifications_changed" with
    before/after lists. Returns False (and writes nothing) when nothing changed.
    """
    check_manageable(primary, colleague)
    current_perms, current_notes = set(colleague.permissions), set(colleague.notifications)
    _refuse_beyond_ceiling(primary, set(permissions) - current_perms)
    ceiling, note_ceiling = manageable_permissions(primary), manageable_notifications(primary)
    requested_beyond = set(notifications) - note_ceiling - current_notes
    if requested_beyond:
        _refuse_beyond_ceiling(primary, {NOTIFICATIONS_BY_KEY[key].permission for key in requested_beyond})
    new_perms = (set(permissions) & ceiling) | (current_perms - ceiling)
    new_notes = (set(notifications) & note_ceiling) | (current_notes - note_ceiling)
    if new_perms == current_perms and new_notes == current_notes:
        return False
    details = {"actor": primary, "customer_id": primary.customer_id, "target": colleague, "email": colleague.email}
    if new_perms != current_perms:
        record(
            "colleague.permissions_changed",
            before=_ordered(current_perms, PERMISSIONS),
            after=_ordered(new_perms, PERMISSIONS),
            **details,
        )
    if new_notes != current_notes:
        record(
            "colleague.notifications_changed",
            before=_ordered(current_notes, NOTIFICATIONS),
            after=_ordered(new_notes, NOTIFICATIONS),
            **details,
        )
    data = ContactData(
        first_name=colleague.first_name,
        last_name=colleague.last_name,
        email=colleague.email,
        phone=colleague.phone,
        position=colleague.position,
        is_primary=False,
        active=colleague.active,
        permissions=new_perms,
        notifications=new_notes,
    )
    _commit_or_rollback(lambda: update_contact(colleague, data, expected_version=expected_version))
    return True


def set_colleague_active(primary: Contact, colleague: Contact, active: bool) -> bool:
    """Activate or deactivate ``colleague`` and commit; deactivation ends its sessions.

    Records "colleague.activated" / "colleague.deactivated". Returns False (and writes
    nothing) when the colleague already is in that state, so a repeated click has one effect.
    A colleague staff deactivated cannot be activated here (``set_active`` refuses).
    """
    check_manageable(primary, colleague)
    if colleague.active == active:
        return False
    record(
        "colleague.activated" if active else "colleague.deactivated",
        actor=primary,
        customer_id=primary.customer_id,
        target=colleague,
        email=colleague.email,
        before={"active": colleague.active},
        after={"active": active},
    )
    _commit_or_rollback(lambda: set_active(colleague, active, actor=primary))
    return True
