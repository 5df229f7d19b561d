"""The admin area's webhook pages: administrators register, edit, rotate and delete endpoints and
redeliver deliveries (audited, one effect per form); everyone else is refused; URLs that point
inside (SSRF) are refused when saved."""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from admin import ADMINISTRATORS_ONLY
from core.extensions import db
from core.models import AuditEntry, WebhookDelivery, WebhookEndpoint, utcnow
from core.services.projects.lifecycle import set_project_status
from core.webhooks.dispatch import deliver_all
from core.webhooks.events import WEBHOOK_EVENTS
from tests.conftest import text
from tests.http.test_admin_contacts import concrete
from tests.http.test_admin_roles import staff_client
from tests.http.test_one_effect_per_form import assert_second_changed_nothing, form_key, post_twice

WEBHOOK_ROUTES = "admin.webhook"


def webhook_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(WEBHOOK_ROUTES)]


def audit_actions() -> list[str]:
    db.session.expire_all()
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("webhook%")))
    return list(actions)


def endpoints() -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def register(client, url: str, events=("invoice.paid", "ticket.opened"), **extra):
    page = "/admin/webhooks/new"
    data = {"url": url, "description": "ERP", "events": list(events), "active": "y", **extra}
    return client.post(page, data={**data, "form_key": form_key(client, page, page)})


def test_every_webhook_route_is_for_administrators_only(app, f):
    rules = webhook_rules(app)
    assert len(rules) == 7
    assert {rule.endpoint for rule in rules} <= ADMINISTRATORS_ONLY
    endpoint = f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    set_project_status(f.make_project(f.make_customer()), "on_hold", notify=False)
    clerk = staff_client(app, is_admin=False)
    for rule in rules:
        url = concrete(rule).replace("/1", f"/{endpoint.id}") if "deliveries" not in rule.rule else concrete(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        assert clerk.open(url, method=method).status_code == 403, url
    assert "/admin/webhooks" not in text(clerk.get("/admin/customers"))
    assert len(endpoints()) == 1 and endpoints()[0].secret == endpoint.secret


def test_an_administrator_registers_an_endpoint_and_sees_its_secret(admin_client, receiver):
    assert "/admin/webhooks" in text(admin_client.get("/admin/settings"))  # linked from the settings
    page = text(admin_client.get("/admin/webhooks/new"))
    for event in WEBHOOK_EVENTS.values():
        assert f'value="{event.key}"' in page and str(event.label) in page

    response = register(admin_client, receiver.url)

    assert response.status_code == 302, text(response)[:2000]
    [endpoint] = endpoints()
    assert response.location == f"/admin/webhooks/{endpoint.id}"
    assert (endpoint.url, endpoint.description, endpoint.active) == (receiver.url, "ERP", True)
    assert endpoint.event_keys == {"invoice.paid", "ticket.opened"}
    assert endpoint.secret.startswith("whsec_") and len(base64.b64decode(endpoint.secret[6:])) == 32
    shown = text(admin_client.get(response.location))
    assert endpoint.secret in shown and "Rotate secret" in shown
    assert audit_actions() == ["webhook_endpoint.created"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook_endpoint.created")).one()
    assert endpoint.secret not in entry.details and json.loads(entry.details)["after"]["url"] == receiver.url
    assert receiver.url in text(admin_client.get("/admin/webhooks"))
    audit_page = text(admin_client.get("/admin/audit"))
    assert "webhook_endpoint.created" in audit_page and endpoint.secret not in audit_page


INSIDE = "which is not a public address"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.1.2.3/hooks", INSIDE),
        ("http://192.168.178.1/hooks", INSIDE),
        ("https://172.31.0.9/hooks", INSIDE),
        ("http://169.254.169.254/latest/meta-data/", INSIDE),
        ("http://[fd00::1]/hooks", INSIDE),
        ("http://[::ffff:192.168.0.1]/hooks", INSIDE),
        ("http://[::1]:8080/hooks", INSIDE),
        ("http://127.0.0.1:8080/hooks", INSIDE),
        ("http://localhost:8080/hooks", INSIDE),  # a name that resolves to loopback
        ("http://0.0.0.0/", INSIDE),
        # Other spellings of 127.0.0.1 that resolvers accept (classic SSRF filter bypasses).
        ("http://2130706433/", INSIDE),
        ("http://0177.0.0.1/", INSIDE),
        ("http://0x7f.0.0.1/", INSIDE),
        ("http://127.1/", INSIDE),
        ("http://[::ffff:127.0.0.1]/", INSIDE),
        ("http://\u2113ocalhost/", INSIDE),  # IDNA maps it to "localhost"
        ("http://127.0.0.1\x0b.example.com/", "spaces or control characters"),
        ("http://" + "a" * 600 + ".example/", "longer than 500"),
        ("ftp://example.com/hooks", "must start with https:// or http://"),
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("http://user:secret@example.com/hooks", "cannot contain a user name or password"),
        ("http:///nohost", "needs a host name"),
        ("http://example.com:99999/", "port is not valid"),
    ],
)
def test_urls_that_point_inside_or_are_no_web_address_are_refused_on_saving(app, admin_client, url, message):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    response = register(admin_client, url)
    assert response.status_code == 200
    assert message in text(response)
    assert endpoints() == [] and audit_actions() == []


def test_loopback_is_allowed_only_by_the_setting(app, admin_client, receiver):
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = False
    assert INSIDE in text(register(admin_client, receiver.url))
    app.config["WEBHOOKS_ALLOW_LOOPBACK"] = True
    assert register(admin_client, receiver.url).status_code == 302
    assert len(endpoints()) == 1


def test_an_endpoint_needs_a_known_event(app, admin_client, receiver):
    assert "Choose at least one event." in text(register(admin_client, receiver.url, events=()))
    response = register(admin_client, receiver.url, events=("invoice.exploded",))
    assert response.status_code == 200 and endpoints() == []


def test_editing_an_endpoint_is_audited_with_before_and_after(admin_client, f, receiver):
    endpoint = f.make_webhook_endpoint(receiver, events={"invoice.paid"})
    page = f"/admin/webhooks/{endpoint.id}"
    data = {"url": receiver.url, "description": "Billing", "events": ["invoice.paid", "payment.received"]}
    response = admin_client.post(page, data={**data, "form_key": form_key(admin_client, page, page)})
    assert response.status_code == 302
    [saved] = endpoints()
    assert saved.event_keys == {"invoice.paid", "payment.received"} and not saved.active
    assert saved.secret == endpoint.secret
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "webhook_endpoint.updated")).one()
    details = json.loads(entry.details)
    assert details["active"] == {"before": True, "after": False}
    assert details["events"]["after"] == ["invoice.paid", "payment.received"]


def test_rotating_the_secret_signs_with_the_new_one(admin_client, f, receiver):
    endpoint = f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    old = endpoint.secret
    page = f"/admin/webhooks/{endpoint.id}"
    action = f"/admin/webhooks/{endpoint.id}/rotate"
    first, second = post_twice(admin_client, page, action, {})
    assert_second_changed_nothing(admin_client, first, second)
    [rotated] = endpoints()
    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    assert audit_actions().count("webhook_endpoint.secret_rotated") == 1
    set_project_status(f.make_project(f.make_customer()), "on_hold", notify=False)
    deliver_all()
    assert receiver.seen[0][1:] == (400, False)  # the receiver still has the old secret
    receiver.secret = rotated.secret
    deliver_all(now=utcnow() + timedelta(seconds=6))  # the retry, after its wait
    assert len(receiver.accepted) == 1


def test_deleting_an_endpoint_drops_its_deliveries(admin_client, f):
    endpoint = f.make_webhook_endpoint(url="https://127.0.0.1/hooks")
    set_project_status(f.make_project(f.make_customer()), "on_hold", notify=False)
    page = f"/admin/webhooks/{endpoint.id}"
    response = admin_client.post(f"{page}/delete", data={"form_key": form_key(admin_client, page, f"{page}/delete")})
    assert response.status_code == 302 and response.location == "/admin/webhooks"
    assert endpoints() == [] and db.session.scalars(select(WebhookDelivery)).all() == []
    assert "webhook_endpoint.deleted" in audit_actions()


def test_redeliver_sends_the_same_message_again_once_per_post(admin_client, f, receiver):
    endpoint = f.make_webhook_endpoint(receiver, events={"project.status_changed"})
    set_project_status(f.make_project(f.make_customer()), "finished", notify=False)
    deliver_all()
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert delivery.status == "delivered"
    page = f"/admin/webhooks/{endpoint.id}"
    listed = text(admin_client.get(page))
    assert delivery.message_id in listed and "Redeliver" in listed and "Delivered" in listed
    action = f"/admin/webhooks/deliveries/{delivery.id}/redeliver"

    first, second = post_twice(admin_client, page, action, {})

    assert_second_changed_nothing(admin_client, first, second)
    db.session.expire_all()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert audit_actions().count("webhook_delivery.redelivered") == 1
    # Still queued: a further redeliver is refused with a message, and changes nothing.
    assert "Redeliver</button>" not in text(admin_client.get(page))  # no button while queued
    refused = admin_client.post(action, data={"form_key": secrets.token_urlsafe(24)})  # a stale page's
    assert "still queued" in text(admin_client.get(refused.location))
    assert audit_actions().count("webhook_delivery.redelivered") == 1

    deliver_all()
    assert receiver.requests_for(delivery.message_id) == 2
    assert [message_id for message_id, _ in receiver.accepted] == [delivery.message_id] * 2
    detail = text(admin_client.get(f"/admin/webhooks/deliveries/{delivery.id}"))
    assert delivery.message_id in detail and "project.status_changed" in detail


def test_an_unknown_endpoint_or_delivery_is_404(admin_client):
    assert admin_client.get("/admin/webhooks/999").status_code == 404
    assert admin_client.get("/admin/webhooks/deliveries/999").status_code == 404
