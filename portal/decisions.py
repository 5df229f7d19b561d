"""Accepting or declining an estimate or a proposal in the customer area: the forms and the two
POST handlers, shared by both features (the rule itself is ``open_for_decision`` on the model,
the change is ``core.services.decisions.decide``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import flash, redirect, request
from flask_login import current_user
from flask_wtf import FlaskForm

from core.forms import name_field
from core.i18n import _l
from core.models import Estimate, Proposal
from core.services import ServiceError
from core.services.decisions import SIGNER_NAME_MAX, decide


class AcceptForm(FlaskForm):
    signer_name = name_field(_l("Your full name"), max_length=SIGNER_NAME_MAX)


class DeclineForm(FlaskForm):
    """Only the CSRF token: declining needs no signature."""


def page_context(document: Estimate | Proposal, accept_form: AcceptForm | None = None) -> dict:
    """What the document's page needs for its decision section (``portal/_decision.html``)."""
    return {
        "can_decide": document.open_for_decision(date.today()),
        "accept_form": accept_form or AcceptForm(),
        "decline_form": DeclineForm(),
    }


def _decide(document: Estimate | Proposal, *, accept: bool, signer_name: str | None, done: Callable, url: str):
    try:
        decide(
            document,
            current_user._get_current_object(),
            accept=accept,
            signer_name=signer_name,
            ip=request.remote_addr,
            today=date.today(),
        )
    except ServiceError as exc:
        flash(str(exc), "warning")
    else:
        flash(*done(document, accept))
    return redirect(url)


def accept(document: Estimate | Proposal, *, page: Callable, done: Callable, url: str):
    """The accept POST: decide with the typed name, or show ``page(document, accept_form=form)``
    with the form's errors. ``done(document, accept)`` gives the success flash (message, category), ``url``
    is the document's page the decision redirects to."""
    form = AcceptForm()
    # Once decided (e.g. a second submit), the service says so, whatever the form holds.
    if form.validate_on_submit() or not document.open_for_decision(date.today()):
        return _decide(document, accept=True, signer_name=form.signer_name.data, done=done, url=url)
    return page(document, accept_form=form)


def decline(document: Estimate | Proposal, *, done: Callable, url: str):
    """The decline POST (CSRF token only): decide, then redirect to ``url``."""
    if not DeclineForm().validate_on_submit():
        return redirect(url)
    return _decide(document, accept=False, signer_name=None, done=done, url=url)
