"""Sending failed emails again: the one rule behind the email log's buttons and ``flask mail-resend``."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from core.audit import record
from core.extensions import db
from core.models import OutboxEmail, StaffUser, utcnow

AUDITED_IDS = 100  # the audit entry names at most this many ids (the count is always there)


@dataclass
class ResendFilter:
    """Which failed emails: these ids, of this customer, of this contact (all that apply), or
    every failed email when nothing narrows it."""

    ids: list[int] = field(default_factory=list)
    customer_id: int | None = None
    contact_id: int | None = None

    @property
    def narrows(self) -> bool:
        """True when ids, a customer or a contact limit the choice (else: every failed email)."""
        return bool(self.ids or self.customer_id or self.contact_id)

    def conditions(self) -> list:
        """WHERE conditions: failed, and each given id list, customer and contact."""
        conditions = [OutboxEmail.status == "failed"]
        if self.ids:
            conditions.append(OutboxEmail.id.in_(self.ids))
        if self.customer_id:
            conditions.append(OutboxEmail.customer_id == self.customer_id)
        if self.contact_id:
            conditions.append(OutboxEmail.contact_id == self.contact_id)
        return conditions


def failed_count(chosen: ResendFilter) -> int:
    """How many failed emails ``chosen`` names (what a resend would queue)."""
    return db.session.scalar(select(func.count()).select_from(OutboxEmail).where(*chosen.conditions())) or 0


def resend_failed(chosen: ResendFilter, *, actor: StaffUser | None, via: str) -> int:
    """Queue the failed emails ``chosen`` names again and commit; returns how many.

    Each goes back to ``pending``, due now, with fresh attempts and its own Message-ID (a
    recipient's server recognises a repeat); the last error stays visible until the next try.
    Only ``failed`` rows are touched, so an email sent or queued meanwhile is never doubled.
    One audit entry records who, how (``via``), the filter, the count and the ids.
    """
    # The ids for the audit entry first (at most AUDITED_IDS), then one UPDATE by the same
    # conditions: "all failed" may be many thousands of rows, too many for an IN list.
    ids = list(
        db.session.scalars(
            select(OutboxEmail.id).where(*chosen.conditions()).order_by(OutboxEmail.id).limit(AUDITED_IDS)
        )
    )
    if not ids:
        return 0
    done = db.session.execute(
        update(OutboxEmail)
        .where(*chosen.conditions())
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    record(
        "email.resend",
        actor=actor,
        customer_id=chosen.customer_id,
        via=via,
        count=done,
        ids=ids,
        customer_filter=chosen.customer_id,
        contact_filter=chosen.contact_id,
    )
    db.session.commit()
    return done
