"""Webhook endpoints administrators register, and redelivering a delivery.

Rules kept here: an endpoint's URL passes the SSRF rule (``core.webhooks.targets.resolve``)
when it is saved (and again at each delivery); it subscribes to at least one event of the
catalog; its secret is generated here (``whsec_...``), never typed, and replaced only by
rotating it. Every change is audited (who, what, before/after), never with the secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, update

from core.audit import record
from core.extensions import db
from core.i18n import _, ngettext
from core.models import WebhookDelivery, WebhookEndpoint, utcnow
from core.webhooks.events import WEBHOOK_EVENTS
from core.webhooks.sending import new_secret
from core.webhooks.targets import resolve

from . import ServiceError

MAX_DESCRIPTION = 200


@dataclass
class EndpointData:
    url: str
    description: str = ""
    events: set[str] = field(default_factory=set)
    active: bool = True


def _checked(data: EndpointData) -> dict:
    unknown = set(data.events) - set(WEBHOOK_EVENTS)
    if unknown:
        raise ServiceError(_("Unknown event: %(events)s", events=", ".join(sorted(unknown))))
    if not data.events:
        raise ServiceError(_("Choose at least one event."))
    description = " ".join((data.description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            ngettext(
                "The description can have at most %(max)d character.",
                "The description can have at most %(max)d characters.",
                MAX_DESCRIPTION,
                max=MAX_DESCRIPTION,
            )
        )
    url = data.url.strip()
    resolve(url)  # refuses (UnsafeTarget, a ServiceError) what webhooks may not reach
    events = " ".join(key for key in WEBHOOK_EVENTS if key in data.events)  # catalog order
    return {"url": url, "description": description, "events": events, "active": bool(data.active)}


def _audited(endpoint: WebhookEndpoint) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events.split(),
        "active": endpoint.active,
    }


def create_endpoint(data: EndpointData, *, actor) -> WebhookEndpoint:
    """Register an endpoint with a fresh secret, audit it and commit; refuses a URL webhooks may
    not reach, unknown events and none at all."""
    endpoint = WebhookEndpoint(secret=new_secret(), **_checked(data))
    db.session.add(endpoint)
    db.session.flush()
    record("webhook_endpoint.created", actor=actor, target=endpoint, after=_audited(endpoint))
    db.session.commit()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, data: EndpointData, *, actor) -> None:
    """Save the endpoint's URL, description, events and active flag under the same rules as
    creating it; the changes are audited with before and after. Saving nothing new changes nothing."""
    values = _checked(data)
    before = _audited(endpoint)
    for name, value in values.items():
        setattr(endpoint, name, value)
    after = _audited(endpoint)
    if before == after:
        db.session.commit()
        return
    changed = {key: {"before": before[key], "after": after[key]} for key in before if before[key] != after[key]}
    record("webhook_endpoint.updated", actor=actor, target=endpoint, **changed)
    db.session.commit()


def rotate_secret(endpoint: WebhookEndpoint, *, actor) -> None:
    """Give the endpoint a new secret (the old one stops signing at once), audit it and commit.

    Deliveries still queued are signed with the new secret when they are sent."""
    endpoint.secret = new_secret()
    record("webhook_endpoint.secret_rotated", actor=actor, target=endpoint, url=endpoint.url)
    db.session.commit()


def delete_endpoint(endpoint: WebhookEndpoint, *, actor) -> None:
    """Delete the endpoint and its deliveries (queued ones are never sent), audit it and commit."""
    record("webhook_endpoint.deleted", actor=actor, target=endpoint, before=_audited(endpoint), after=None)
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


def redeliver(delivery: WebhookDelivery, *, actor) -> None:
    """Queue a delivered or failed delivery again, due now, with fresh attempts and the same
    ``webhook-id`` (receivers deduplicate on it); audited. A delivery still queued or being sent
    is refused (it goes out anyway), and of two redeliveries at the same moment one wins."""
    if delivery.status not in ("delivered", "failed"):
        raise ServiceError(_("This delivery is still queued; it is sent without redelivering it."))
    queued = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status.in_(("delivered", "failed")))
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if queued.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("This delivery is still queued; it is sent without redelivering it."))
    record(
        "webhook_delivery.redelivered",
        actor=actor,
        target=delivery,
        event=delivery.event,
        message_id=delivery.message_id,
        previous_status=delivery.status,
    )
    db.session.commit()
