"""API tokens: create (the secret is returned once), revoke, and find the token of a request.

The token is ``ptk_`` + 43 characters of ``secrets.token_urlsafe(32)`` (256 random bits). Only
its SHA-256 is stored: a fast hash is right here because nobody can guess 256 random bits (a
slow hash protects guessable passwords), and it keeps the per-request lookup one indexed query.
A token acts as the staff member who created it; it stops working when it is revoked, expires,
or that staff member is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import joinedload

from core.api_scopes import SCOPES
from core.audit import record
from core.extensions import db
from core.i18n import _
from core.models import ApiToken, StaffUser, utcnow

from . import ServiceError

TOKEN_PREFIX = "ptk_"  # noqa: S105  # nosec B105 - the public marker of our tokens, not a secret
PREFIX_LENGTH = 12  # "ptk_" and 8 characters of the secret: enough to tell tokens apart
MAX_TOKEN_LENGTH = 100
# last_used_at is written at most this often per token (one UPDATE, not one per request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    name: str, scopes: frozenset[str], expires_at: datetime | None, *, actor: StaffUser
) -> tuple[ApiToken, str]:
    """Create a token for ``actor`` and commit; returns the row and the token itself, which is
    never stored nor shown again. Audited (name, prefix, scopes, expiry; never the secret)."""
    name = name.strip()
    if not name:
        raise ServiceError(_("Give the token a name."))
    unknown = set(scopes) - SCOPES
    if unknown:
        raise ServiceError(_("Unknown scope: %(scopes)s", scopes=", ".join(sorted(unknown))))
    if not scopes:
        raise ServiceError(_("Give the token access to at least one group of resources."))
    if expires_at is not None and expires_at <= utcnow():
        raise ServiceError(_("The expiry date must be in the future."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name[:120],
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_token(secret),
        scopes=" ".join(sorted(scopes)),
        expires_at=expires_at,
        created_by_id=actor.id,
    )
    db.session.add(token)
    db.session.flush()
    record(
        "api_token.created",
        actor=actor,
        target=token,
        name=token.name,
        prefix=token.prefix,
        scopes=sorted(scopes),
        expires_at=expires_at,
    )
    db.session.commit()
    return token, secret


def revoke_token(token: ApiToken, *, actor: StaffUser) -> None:
    """Revoke ``token`` (it is refused from the next request on) and commit; audited. Revoking a
    revoked token changes nothing."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record("api_token.revoked", actor=actor, target=token, name=token.name, prefix=token.prefix)
    db.session.commit()


def tokens_newest_first():
    """A select() of every token, newest first, with its creator."""
    return select(ApiToken).order_by(ApiToken.id.desc())


# Built once (every API request runs it): the token with its creator in one statement, since
# every request needs the creator too (the active check, the actor of changes).
_TOKEN_BY_HASH = (
    select(ApiToken).options(joinedload(ApiToken.created_by)).where(ApiToken.secret_hash == bindparam("secret_hash"))
)


def usable_token(presented: str) -> ApiToken | None:
    """The token ``presented`` names if it may be used now (not revoked, not expired, its
    creator active), else None. Unknown, malformed and refused tokens look alike."""
    if not presented.startswith(TOKEN_PREFIX) or len(presented) > MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalar(_TOKEN_BY_HASH, {"secret_hash": hash_token(presented)})
    if token is None or token.state(utcnow()) != "active" or not token.created_by.active:
        return None
    return token


def note_use(token: ApiToken) -> None:
    """Set ``last_used_at`` when it is older than a minute, on its own short transaction.

    Its own connection: a GET request reads without a transaction and must not write
    (``core.read_only``), and a failed write of the request must not lose the note either.
    The WHERE clause makes concurrent requests of one token write once per minute at most.
    """
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    with db.engine.begin() as connection:
        connection.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
            )
            .values(last_used_at=now)
        )
