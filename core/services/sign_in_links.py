"""Sign-in links ("magic links"): a contact asks for one by email and signs in with it.

- Asking (``request_sign_in_link``) writes one row whatever the address, like a password reset,
  so neither the answer nor its timing tells whether an account uses the address; after the
  response the mail flush or the dispatcher resolves it (``prepare_sign_in_link_emails``).
- A link is valid 15 minutes, carries its landing page and is bound to the contact's password
  state and to ``may_log_in`` (``core.tokens``), and to the nonce stored on the contact: a newer
  link replaces the nonce (older links die), using the link clears it (single use).
- Opening a link only shows whom it signs in (``check_sign_in_link``, read-only); signing in
  takes a POST (``use_sign_in_link``), so a mail scanner that fetches every URL cannot use it.
  The link replaces the password, not the second factor: the caller continues with the same
  login completion as the password step.
- Administrators can turn the feature off (setting ``sign_in_links``, on by default); off, no
  link is sent and no outstanding link works.
"""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from core.audit import record
from core.extensions import db
from core.i18n import _
from core.mail.flush import mark_queued
from core.mail.outbox import queue_email
from core.models import Contact, SignInLinkRequest, normalize_email, utcnow
from core.security import safe_next
from core.services.settings import SIGN_IN_LINKS, get_bool_setting
from core.tokens import MAX_AGE, TokenError, load_sign_in_token, make_sign_in_token

LINK_MINUTES = MAX_AGE["sign_in_link"] // 60


def sign_in_links_enabled() -> bool:
    """Whether contacts may ask for (and use) sign-in links: the administrators' setting."""
    return get_bool_setting(SIGN_IN_LINKS)


def request_sign_in_link(email: str, next_path: str, ip: str) -> bool:
    """Queue "a sign-in link was asked for ``email``" and commit, without looking the address up.

    The same single INSERT for every address, so the answer and its timing do not depend on
    it. ``next_path`` is where the link lands (kept only if ``safe_next`` accepts it). Returns
    False, queueing nothing, while sign-in links are turned off.
    """
    if not sign_in_links_enabled():
        return False
    landing = safe_next(next_path) or ""
    db.session.add(
        SignInLinkRequest(
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
    removed it goes on), then resolved: a contact who may log in gets a fresh link (its older
    links die), audited; any other address gets nothing. One commit per request.
    """
    queued = 0
    row = SignInLinkRequest
    pending = select(row.id, row.email, row.next_path, row.ip).order_by(row.id).limit(limit)
    for request_id, email, next_path, ip in db.session.execute(pending).all():
        claimed = db.session.execute(delete(SignInLinkRequest).where(SignInLinkRequest.id == request_id))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        contact = db.session.scalar(select(Contact).where(Contact.email == email))
        if contact is not None and contact.may_log_in and sign_in_links_enabled():
            _queue_link(contact, next_path, ip)
            queued += 1
        db.session.commit()
    return queued


def _queue_link(contact: Contact, next_path: str, ip: str) -> None:
    nonce = secrets.token_urlsafe(24)
    # An UPDATE statement, not the attribute: bookkeeping must not bump the contact's version
    # (an administrator's open edit form would turn stale).
    db.session.execute(
        update(Contact)
        .where(Contact.id == contact.id)
        .values(sign_in_link_nonce=nonce)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(contact, "sign_in_link_nonce", nonce)
    token = make_sign_in_token(contact, nonce, next_path)
    queue_email("sign_in_link", contact, link_values={"token": token}, context={"minutes": LINK_MINUTES})
    record("login.link_sent", actor=None, customer_id=contact.customer_id, target=contact, requested_from=ip)


def _usable(token: str) -> tuple[Contact, str, str]:
    contact, nonce, next_path = load_sign_in_token(token)
    current = contact.sign_in_link_nonce or ""
    if not current or not hmac.compare_digest(current, nonce) or not sign_in_links_enabled():
        raise TokenError(_("This link has already been used or is no longer valid. Please ask for a new one."))
    return contact, nonce, safe_next(next_path) or ""


def check_sign_in_link(token: str) -> tuple[Contact, str]:
    """(contact, landing path or "") of a link that would sign in now; changes nothing.

    Raises ``TokenError`` for an expired, forged, used, outdated or switched-off link."""
    contact, _nonce, next_path = _usable(token)
    return contact, next_path


def use_sign_in_link(token: str) -> tuple[Contact, str]:
    """Use the link up, record the sign-in and commit; returns (contact, landing path or "").

    One conditional UPDATE clears the nonce: of two posts racing with the same link (two tabs,
    a double click), exactly one matches a row; the other raises ``TokenError``, as does any
    link ``check_sign_in_link`` refuses.
    """
    contact, nonce, next_path = _usable(token)
    used = db.session.execute(
        update(Contact)
        .where(Contact.id == contact.id, Contact.sign_in_link_nonce == nonce)
        .values(sign_in_link_nonce=None, last_login=utcnow())
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        db.session.rollback()
        raise TokenError(_("This link has already been used or is no longer valid. Please ask for a new one."))
    set_committed_value(contact, "sign_in_link_nonce", None)
    record("login.signed_in_with_link", actor=contact, customer_id=contact.customer_id, target=contact, area="portal")
    db.session.commit()
    return contact, next_path
