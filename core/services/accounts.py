"""Logging in and managing staff accounts."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core.audit import record
from core.extensions import db
from core.i18n import LANGUAGES, _
from core.mail.outbox import queue_email
from core.models import Contact, StaffUser, normalize_email, utcnow
from core.passwords import hash_password, new_session_token, password_problem, verify_password

from . import ServiceError


def authenticate_contact(email: str, password: str) -> Contact | None:
    """The active contact with these credentials, or None; last_login is recorded.

    Unknown address, wrong password and inactive contact all give None, after the same work.
    """
    contact = db.session.scalar(select(Contact).where(Contact.email == normalize_email(email)))
    ok = verify_password(contact.password_hash if contact else None, password)
    if not ok or contact is None or not contact.may_log_in:
        record(
            "login.failed",
            actor=None,
            customer_id=contact.customer_id if contact else None,
            target=contact,
            area="portal",
            email=normalize_email(email)[:254],
        )
        db.session.commit()
        return None
    _set_quietly(contact, last_login=utcnow())
    record("login.succeeded", actor=contact, customer_id=contact.customer_id, target=contact, area="portal")
    db.session.commit()
    return contact


def authenticate_staff(email: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None (same work either way)."""
    staff = db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == normalize_email(email)))
    ok = verify_password(staff.password_hash if staff else None, password)
    if not ok or staff is None or not staff.active:
        record("login.failed", actor=None, target=staff, area="admin", email=normalize_email(email)[:254])
        db.session.commit()
        return None
    staff.last_login = utcnow()
    record("login.succeeded", actor=staff, target=staff, area="admin")
    db.session.commit()
    return staff


def end_sessions(user: Contact | StaffUser) -> None:
    """Rotate the user's session token (ends every session, this one included) and commit."""
    _set_quietly(user, session_token=new_session_token())
    db.session.commit()


def _set_quietly(user: Contact | StaffUser, **values) -> None:
    """Update bookkeeping columns without bumping the optimistic-locking version.

    A contact logging in or out must not make an administrator's open edit form "stale".
    """
    user = getattr(user, "_get_current_object", lambda: user)()  # current_user is a proxy
    model = type(user)
    db.session.execute(
        update(model).where(model.id == user.id).values(**values).execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(user, name, value)


def change_contact_password(contact: Contact, current: str, new: str) -> None:
    """Set a new password when ``current`` is right, end other sessions, and commit."""
    if not verify_password(contact.password_hash, current):
        raise ServiceError(_("Your current password is not correct."))
    if problem := password_problem(new, contact.email):
        raise ServiceError(problem)
    contact.password_hash = hash_password(new)
    contact.session_token = new_session_token()
    queue_email("password_changed", contact)
    db.session.commit()


def update_own_profile(contact: Contact, first_name: str, last_name: str, phone: str, language: str = "") -> None:
    """Save the fields a contact may edit itself, and commit.

    Only these are touched, so nothing else posted (customer, permissions, primary, active,
    toggles) can reach the contact row through the profile form.
    """
    contact.first_name = first_name.strip()
    contact.last_name = last_name.strip()
    contact.phone = phone.strip()
    if language in LANGUAGES:
        contact.language = language
    db.session.commit()


def set_language(user: Contact | StaffUser, language: str) -> None:
    """Save ``language`` as the user's language and commit; an unsupported code changes nothing."""
    if language in LANGUAGES and user.language != language:
        user.language = language
        db.session.commit()


def create_staff(email: str, name: str, password: str, *, is_admin: bool = True, language: str = "en") -> StaffUser:
    """Create a staff user and commit; refuses an address already in use or an unknown language."""
    if language not in LANGUAGES:
        raise ServiceError(_("This language is not available."))
    email = normalize_email(email)
    if problem := password_problem(password, email):
        raise ServiceError(problem)
    if db.session.scalar(select(StaffUser.id).where(func.lower(StaffUser.email) == email)):
        raise ServiceError(_("A staff user with the email address %(email)s already exists.", email=email))
    staff = StaffUser(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        is_admin=is_admin,
        language=language,
        session_token=new_session_token(),
    )
    db.session.add(staff)
    db.session.commit()
    return staff
