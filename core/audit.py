"""Recording who did what: one function, called by services inside their transaction."""

from __future__ import annotations

import json

from flask import g, has_request_context, request
from flask_login import current_user

from core.extensions import db
from core.models import AuditEntry, Contact, StaffUser


def record(
    action: str,
    *,
    actor: Contact | StaffUser | None,
    customer_id: int | None = None,
    target=None,
    **details,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the service commits it with the change).

    ``details`` holds before/after values and context; never pass secrets (passwords, tokens).
    While an administrator views the customer area as a contact, a contact actor is replaced by
    that administrator (the contact is kept in ``details`` as ``as_contact``). A request that set
    ``g.audit_context`` (the API: its token's id and name) adds it to ``details``.
    """
    actor, details = _real_actor(actor, details)
    if has_request_context() and g.get("audit_context"):
        # How the actor acted, when not through a page: e.g. the API token of an API request.
        details = {**g.audit_context, **details}
    if isinstance(actor, StaffUser):
        actor_type, actor_name = "staff", actor.name
    elif isinstance(actor, Contact):
        actor_type, actor_name = "contact", f"{actor.full_name} <{actor.email}>"
    else:
        actor_type, actor_name = "system", "system"
    entry = AuditEntry(
        actor_type=actor_type,
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name[:200],
        customer_id=customer_id,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=getattr(target, "id", None),
        details=json.dumps(details, default=str, sort_keys=True),
        ip=(request.remote_addr or "")[:64] if has_request_context() else "",
    )
    db.session.add(entry)
    return entry


def _real_actor(actor, details: dict):
    """The person who really acted: the administrator behind an impersonated contact session.

    Resolved here, once, so no service can forget it and name the contact for staff's doing.
    """
    if not isinstance(actor, Contact) or not has_request_context() or not isinstance(current_user, Contact):
        return actor, details
    # Imported here: the impersonation service itself records through this module.
    from core.services.impersonation import impersonator

    staff = impersonator()
    if staff is None:
        return actor, details
    return staff, {**details, "as_contact": f"{actor.full_name} <{actor.email}>"}
