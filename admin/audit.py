"""The audit log: who changed what, newest first, filterable, with before/after shown readably."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from flask import render_template, request
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from core.extensions import db
from core.i18n import _, _l
from core.models import AuditEntry, Customer
from core.pagination import paginate
from core.search import starts_with_text

from . import bp

ACTOR_TYPES = (("staff", _l("Staff")), ("contact", _l("Customer contact")), ("system", _l("System")))


class AuditFilterForm(FlaskForm):
    """The filters, read from the query string (a GET form: no CSRF token, no state change)."""

    class Meta:
        csrf = False

    customer_id = SelectField(_l("Customer"), choices=[], default="")
    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)])
    actor_type = SelectField(
        _l("Actor"),
        choices=[SelectChoice("", _l("Anyone"))] + [SelectChoice(*pair) for pair in ACTOR_TYPES],
        default="",
    )
    date_from = DateField(_l("From (UTC)"), validators=[Optional()])
    date_to = DateField(_l("To (UTC)"), validators=[Optional()])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date is before the start date."))


def _customer_choices() -> list[SelectChoice]:
    """Customers that appear in the log, by name: a short list however many customers exist."""
    logged = select(AuditEntry.customer_id).where(AuditEntry.customer_id.is_not(None)).distinct()
    rows = db.session.execute(
        select(Customer.id, Customer.company).where(Customer.id.in_(logged)).order_by(Customer.company, Customer.id)
    ).all()
    return [SelectChoice("", _("All customers"))] + [SelectChoice(str(cid), company) for cid, company in rows]


def _filtered(form: AuditFilterForm):
    """The log as a select(), narrowed by every filter that is filled in and valid."""
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ok = {name for name, field in form._fields.items() if not field.errors and field.data}
    if "customer_id" in ok:
        stmt = stmt.where(AuditEntry.customer_id == int(form.customer_id.data))
    if "action" in ok and form.action.data.strip():
        stmt = stmt.where(starts_with_text(AuditEntry.action, form.action.data.strip()))
    if "actor_type" in ok:
        stmt = stmt.where(AuditEntry.actor_type == form.actor_type.data)
    if "date_from" in ok:
        stmt = stmt.where(AuditEntry.created_at >= datetime.combine(form.date_from.data, time.min))
    if "date_to" in ok:
        # Inclusive: everything before the start of the next day.
        stmt = stmt.where(AuditEntry.created_at < datetime.combine(form.date_to.data + timedelta(days=1), time.min))
    return stmt


def _show(value) -> str:
    """One value as a person reads it: lists joined, booleans as yes/no, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    return str(value)


def readable(details: str) -> dict:
    """The JSON ``details`` of an entry as rows: ``changes`` (field, before, after) and ``context``.

    ``before``/``after`` dicts become one row per field; lists or single values one row; so does a
    field whose value is its own ``{"before": ..., "after": ...}``. Text
    that is not JSON is shown as it is.
    """
    try:
        data = json.loads(details) if details else {}
    except ValueError:
        return {"changes": [], "context": [("details", details)]}
    if not isinstance(data, dict):
        return {"changes": [], "context": [("details", _show(data))]}
    changes = []
    if "before" in data or "after" in data:
        before, after = data.pop("before", None), data.pop("after", None)
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            for key in sorted(set(before) | set(after)):
                changes.append((key, _show(before.get(key)), _show(after.get(key))))
        else:
            changes.append(("value", _show(before), _show(after)))
    for key in sorted(data):
        # One field's own {"before": ..., "after": ...} (e.g. contact.access_changed) is a change too.
        value = data[key]
        if isinstance(value, dict) and value and set(value) <= {"before", "after"}:
            changes.append((key, _show(value.get("before")), _show(value.get("after"))))
            del data[key]
    context = [(key, _show(value)) for key, value in sorted(data.items())]
    return {"changes": changes, "context": context}


@bp.route("/audit")
def audit():
    form = AuditFilterForm(request.args)
    form.customer_id.choices = _customer_choices()
    form.validate()
    page = paginate(_filtered(form))
    customer_ids = {e.customer_id for e in page.items if e.customer_id}
    companies = (
        dict(db.session.execute(select(Customer.id, Customer.company).where(Customer.id.in_(customer_ids))).all())
        if customer_ids
        else {}
    )
    known_actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    return render_template(
        "admin/audit/index.html",
        form=form,
        page=page,
        entries=[(entry, readable(entry.details)) for entry in page.items],
        companies=companies,
        action_hints=sorted({a.split(".", 1)[0] + "." for a in known_actions} | set(known_actions)),
        actor_labels=dict(ACTOR_TYPES),
    )
