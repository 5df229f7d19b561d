"""Webhook endpoints (administrators only): list, register, edit, rotate the secret, delete; each
endpoint's deliveries with their outcome, and redelivering one."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from core.extensions import db
from core.formposts import post_and_redirect, run_form
from core.i18n import _, _l
from core.models import WebhookDelivery, WebhookEndpoint
from core.pagination import paginate
from core.services.webhooks import (
    EndpointData,
    create_endpoint,
    delete_endpoint,
    redeliver,
    rotate_secret,
    update_endpoint,
)
from core.webhooks.events import WEBHOOK_EVENTS

from . import bp


class EndpointForm(FlaskForm):
    url = StringField(
        _l("URL"),
        validators=[InputRequired(), Length(max=500)],
        description=_l("Where the events are POSTed: https://... on a public address."),
    )
    description = StringField(_l("Description"), validators=[Length(max=200)])
    events = SelectMultipleField(_l("Events"), choices=[SelectChoice(e.key, e.label) for e in WEBHOOK_EVENTS.values()])
    active = BooleanField(_l("Active"), default=True)

    def data_for_service(self) -> EndpointData:
        return EndpointData(
            url=self.url.data or "",
            description=self.description.data or "",
            events=set(self.events.data or ()),
            active=bool(self.active.data),
        )


class ActionForm(FlaskForm):
    """A button's form (rotate, delete, redeliver): the CSRF token and nothing else."""


def _actor():
    return current_user._get_current_object()


@bp.route("/webhooks")
def webhooks():
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    # One grouped query: each endpoint's deliveries per status.
    rows = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.endpoint_id, WebhookDelivery.status
        )
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, number in rows:
        counts.setdefault(endpoint_id, {})[status] = number
    return render_template("admin/webhooks/index.html", endpoints=endpoints, counts=counts, events=WEBHOOK_EVENTS)


@bp.route("/webhooks/new", methods=["GET", "POST"])
def webhook_new():
    form = EndpointForm()
    if request.method == "GET":
        form.events.data = []
    done = run_form(
        form, lambda: create_endpoint(form.data_for_service(), actor=_actor()), _("Webhook endpoint registered.")
    )
    if done:
        return redirect(url_for("admin.webhook", endpoint_id=done.result.id))
    return render_template("admin/webhooks/form.html", form=form, endpoint=None, events=WEBHOOK_EVENTS)


@bp.route("/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
def webhook(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointForm(obj=None if request.method == "POST" else endpoint)
    if request.method == "GET":
        form.events.data = sorted(endpoint.event_keys)
    if run_form(form, lambda: update_endpoint(endpoint, form.data_for_service(), actor=_actor()), _("Saved.")):
        return redirect(url_for("admin.webhook", endpoint_id=endpoint.id))
    deliveries = paginate(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id.desc())
    )
    return render_template(
        "admin/webhooks/form.html",
        form=form,
        endpoint=endpoint,
        deliveries=deliveries,
        action_form=ActionForm(),
        events=WEBHOOK_EVENTS,
    )


@bp.route("/webhooks/<int:endpoint_id>/rotate", methods=["POST"])
def webhook_rotate(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return post_and_redirect(
        ActionForm(),
        lambda: rotate_secret(endpoint, actor=_actor()),
        _("The secret was replaced. Give the receiver the new one: the old one no longer verifies."),
        url_for("admin.webhook", endpoint_id=endpoint.id),
    )


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
def webhook_delete(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    return post_and_redirect(
        ActionForm(),
        lambda: delete_endpoint(endpoint, actor=_actor()),
        _("Webhook endpoint deleted."),
        url_for("admin.webhooks"),
    )


@bp.route("/webhooks/deliveries/<int:delivery_id>")
def webhook_delivery(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    return render_template(
        "admin/webhooks/delivery.html", delivery=delivery, action_form=ActionForm(), events=WEBHOOK_EVENTS
    )


@bp.route("/webhooks/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
def webhook_redeliver(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    back = request.form.get("back") == "delivery"
    return post_and_redirect(
        ActionForm(),
        lambda: redeliver(delivery, actor=_actor()),
        _("The delivery is queued again, with the same message id."),
        url_for("admin.webhook_delivery", delivery_id=delivery.id)
        if back
        else url_for("admin.webhook", endpoint_id=delivery.endpoint_id),
    )
