"""Sign-in links ("magic links"): a contact or a staff member asks for one by email and signs in
with it. One set of rules for both areas; ``ACCOUNTS`` names only what differs (whose table the
address is looked up in, which email is sent).

- Asking (``request_sign_in_link``) writes one row whatever the address, like a password reset,
  so neither the answer nor its timing tells whether an account uses the address; after the
  response the mail flush or the dispatcher resolves it (``prepare_sign_in_link_emails``).
- A link is valid 15 minutes, carries its landing page and is bound to the user's password
  state and to ``may_log_in`` (``core.tokens``), and to the nonce stored on the user: a newer
  link replaces the nonce (older links die), using the link clears it (single use). A contact's
  and a staff member's links have different token purposes: neither signs in to the other area.
- Opening a link only shows whom it signs in (``check_sign_in_link``, read-only); signing in
  takes a POST (``use_sign_in_link``), so a mail scanner that fetches every URL cannot use it.
  The link replaces the password, not the second factor: the caller continues with the same
  login completion as the password step.
- Administrators can turn the feature off for both areas (setting ``sign_in_links``, on by
  default); off, no link is sent and no outstanding link works.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.mail.flush import mark_queued
from core.mail.outbox import queue_email, queue_staff_email
from core.models import Contact, SignInLinkRequest, StaffUser, normalize_email, utcnow
from core.security import safe_next
from core.services.settings import SIGN_IN_LINKS, get_bool_setting
from core.tokens import MAX_AGE, TokenError, load_sign_in_token, make_sign_in_token

LINK_MINUTES = MAX_AGE["sign_in_link"] // 60
PORTAL, ADMIN = "portal", "admin"  # the areas: the customer area's contacts, the admin area's staff

User = Contact | StaffUser


@dataclass(frozen=True)
class Accounts:
    """What differs between the users of one area; every rule in this module is the same for both."""

    model: type[Contact] | type[StaffUser]
    find: Callable[[str], User | None]  # the user with this (normalized) address, or None
    send: Callable[[User, str], None]  # queue the email with this token, in the user's language


def _contact_by_email(email: str) -> Contact | None:
    return db.session.scalar(select(Contact).where(Contact.email == email))


def _staff_by_email(email: str) -> StaffUser | None:
    # As the staff password login looks staff up (core.services.accounts.authenticate_staff).
    return db.session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))


def _email_contact(contact: Contact, token: str) -> None:
    queue_email("sign_in_link", contact, link_values={"token": token}, context={"minutes": LINK_MINUTES})


def _email_staff(staff: StaffUser, token: str) -> None:
    queue_staff_email("staff_sign_in_link", staff, link_values={"token": token}, context={"minutes": LINK_MINUTES})


ACCOUNTS: dict[str, Accounts] = {
    PORTAL: Accounts(Contact, _contact_by_email, _email_contact),
    ADMIN: Accounts(StaffUser, _staff_by_email, _email_staff),
}


def sign_in_links_enabled() -> bool:
    """Whether contacts and staff may ask for (and use) sign-in links: the administrators' setting."""
    return get_bool_setting(SIGN_IN_LINKS)


def request_sign_in_link(email: str, next_path: str, ip: str, *, area: str) -> bool:
    """Queue "a sign-in link to ``area`` was asked for ``email``" and commit, without looking the
    address up.

    The same single INSERT for every address, so the answer and its timing do not depend on
    it. ``next_path`` is where the link lands (kept only if ``safe_next`` accepts it). Returns
    False, queueing nothing, while sign-in links are turned off.
    """
    if area not in ACCOUNTS:
        raise ValueError(area)
    if not sign_in_links_enabled():
        return False
    landing = safe_next(next_path) or ""
    db.session.add(
        SignInLinkRequest(
            area=area,
            email=normalize_email(email)[:254],
            next_path=landing if len(landing) <= 500 else "",
            ip=(ip or "")[:64],
        )
    )
    mark_queued()  # the flush after the response (or the dispatcher) resolves it
    db.session.commit()
    return True


def prepare_sign_in_link_emails(limit: int = 100) -> int:
    """Turn queued sign-in link requests into emails (outbox rows); return how many were queued.

    Each request is claimed by deleting its row (of two dispatchers only the one whose DELETE
    removed it goes on), then resolved in its area: a user who may log in gets a fresh link (its
    older links die), audited; any other address gets nothing. One commit per request.
    """
    queued = 0
    row = SignInLinkRequest
    pending = select(row.id, row.area, row.email, row.next_path, row.ip).order_by(row.id).limit(limit)
    for request_id, area, email, next_path, ip in db.session.execute(pending).all():
        claimed = db.session.execute(delete(SignInLinkRequest).where(SignInLinkRequest.id == request_id))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        accounts = ACCOUNTS.get(area)
        user = accounts.find(email) if accounts is not None else None
        if user is not None and user.may_log_in and sign_in_links_enabled():
            _queue_link(accounts, user, next_path, ip)
            queued += 1
        db.session.commit()
    return queued


def _queue_link(accounts: Accounts, user: User, next_path: str, ip: str) -> None:
    nonce = secrets.token_urlsafe(24)
    model = accounts.model
    # An UPDATE statement, not the attribute: bookkeeping must not bump the contact's version
    # (an administrator's open edit form would turn stale).
    db.session.execute(
        update(model)
        .where(model.id == user.id)
        .values(sign_in_link_nonce=nonce)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, "sign_in_link_nonce", nonce)
    accounts.send(user, make_sign_in_token(user, nonce, next_path))
    record("login.link_sent", actor=None, customer_id=_customer_id(user), target=user, requested_from=ip)


def _customer_id(user: User) -> int | None:
    return getattr(user, "customer_id", None)  # a contact's company; staff belong to none


def _refused() -> TokenError:
    return TokenError(_("This link has already been used or is no longer valid. Please ask for a new one."))


def _usable(token: str, area: str) -> tuple[User, str, str]:
    user, nonce, next_path = load_sign_in_token(token, ACCOUNTS[area].model)
    current = user.sign_in_link_nonce or ""
    if not current or not hmac.compare_digest(current, nonce) or not sign_in_links_enabled():
        raise _refused()
    return user, nonce, safe_next(next_path) or ""


def check_sign_in_link(token: str, *, area: str) -> tuple[User, str]:
    """(user, landing path or "") of a link that would sign in to ``area`` now; changes nothing.

    Raises ``TokenError`` for an expired, forged, used, outdated or switched-off link, and for
    a link made for the other area."""
    user, _nonce, next_path = _usable(token, area)
    return user, next_path


def use_sign_in_link(token: str, *, area: str) -> tuple[User, str]:
    """Use the link up, record the sign-in and commit; returns (user, landing path or "").

    One conditional UPDATE clears the nonce: of two posts racing with the same link (two tabs,
    a double click), exactly one matches a row; the other raises ``TokenError``, as does any
    link ``check_sign_in_link`` refuses.
    """
    user, nonce, next_path = _usable(token, area)
    model = ACCOUNTS[area].model
    used = db.session.execute(
        update(model)
        .where(model.id == user.id, model.sign_in_link_nonce == nonce)
        .values(sign_in_link_nonce=None, last_login=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        db.session.rollback()
        raise _refused()
    set_committed_value(user, "sign_in_link_nonce", None)
    record("login.signed_in_with_link", actor=user, customer_id=_customer_id(user), target=user, area=area)
    db.session.commit()
    return user, next_path
