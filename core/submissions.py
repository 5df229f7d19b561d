"""One effect per form, however often it is posted.

A form that sends an email or records something carries a one-time key (``{{ form_key() }}`` in
its template: a hidden ``form_key`` field with a fresh random value on every render). Before the
view runs, the request claims the key: it inserts it into ``form_submissions`` and flushes, in
the same transaction as whatever the view's service then commits.

- The first post commits the key together with its effect; then (after the view, in
  ``remember_result``) where its answer went: the redirect target, or "" for an answer without
  one. Until then the key's ``result_url`` is NULL: the first post is still in progress.
- A second post of the same form (a double click, a resubmitted page, a retry) finds the key
  taken: the unique key refuses the INSERT (on PostgreSQL it waits until the first commits), so
  its request rolls back, changes nothing and is sent where the first one went, with a note.
  The refusal can come between the first post's commit and ``remember_result``: the repeat then
  waits for the first post's outcome (``first_outcome``, at most ``WAIT_SECONDS``, re-reading the
  row without holding a transaction open) rather than guess where to go.
- A post that fails validation or whose service refuses commits nothing, the key included, so
  the corrected form can be sent again.

The claim runs after each area's own guard (login, roles, impersonation) so a refused request
writes nothing. Keys are pruned after ``KEEP_DAYS`` by ``flask send-reminders`` (daily).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

from flask import Flask, abort, flash, g, has_request_context, redirect, request, url_for
from markupsafe import Markup
from sqlalchemy import delete, event, select, update
from sqlalchemy.exc import IntegrityError

from core.extensions import db
from core.i18n import _
from core.models import FormSubmission, utcnow
from core.read_only import ReadOnlyAwareSession
from core.security import referrer_path

FIELD = "form_key"
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
KEEP_DAYS = 30
# How long a repeated post waits for the first post's outcome, and how often it looks.
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05
# A key claimed longer ago than this whose outcome is still unknown will not get one (its
# request died after committing, or could not remember it): a repeat does not wait for it.
IN_PROGRESS_SECONDS = 60


def new_key() -> str:
    """A fresh, unguessable key for one rendering of a form."""
    return secrets.token_urlsafe(24)


def form_key_field() -> Markup:
    """The hidden field that makes a form single-effect (a template global, ``form_key()``)."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (FIELD, new_key())


def claim_form_key():
    """``before_request`` of an area: claim the posted form's key, or answer a repeated post.

    Returns None when the view may run (no key in the request, or the key claimed by this
    request), else the redirect that a repeated submission gets.
    """
    if request.method != "POST" or FIELD not in request.form:
        return None
    key = request.form[FIELD]
    if not KEY_PATTERN.fullmatch(key):
        abort(400)
    db.session.add(FormSubmission(token=key, action=(request.endpoint or "")[:60]))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _already_done(key)
    g.claimed_form_key = key
    return None


def _already_done(key: str):
    flash(_("This form was already sent, so nothing was done again."), "info")
    first = first_outcome(key)
    home = "admin.customers" if (request.blueprint or "").startswith("admin") else "portal.index"
    return redirect(first or referrer_path() or url_for(home))


def first_outcome(key: str, wait_seconds: float = WAIT_SECONDS) -> str:
    """Where the first post of ``key`` was sent ("" when it answered without a redirect, or its
    outcome is not known): waits, up to ``wait_seconds``, while that post is still in progress.

    Each look is a fresh read whose transaction ends at once, so the waiting request holds no
    snapshot (SQLite would never see the first post's update) and no lock it could block it with.
    """
    deadline = time.monotonic() + wait_seconds
    stmt = select(FormSubmission.result_url, FormSubmission.created_at).where(FormSubmission.token == key)
    while True:
        row = db.session.execute(stmt).one_or_none()
        db.session.rollback()
        if row is None:
            return ""
        result_url, claimed_at = row
        if result_url is not None:
            return result_url
        abandoned = claimed_at < utcnow() - timedelta(seconds=IN_PROGRESS_SECONDS)
        if abandoned or time.monotonic() >= deadline:
            return ""
        time.sleep(POLL_SECONDS)


def _note_commit(session) -> None:
    # A commit while this request holds a claimed key commits the key with the effect.
    if has_request_context() and g.get("claimed_form_key"):
        g.form_key_committed = True


event.listen(ReadOnlyAwareSession, "after_commit", _note_commit)


def remember_result(response):
    """``after_request``: store where the first submission of a claimed key was sent, so a
    repeated post is sent there too (and one waiting for it stops waiting): the redirect
    target, or "" for an answer without one. Only once the key is committed (with the view's
    effect), and only when nothing else is pending in the session, so this commit carries one
    UPDATE."""
    key = g.pop("claimed_form_key", None)
    committed = g.pop("form_key_committed", False)
    if not (key and committed):
        return response
    session = db.session
    if session.new or session.dirty or session.deleted:
        return response
    location = response.location if response.location and len(response.location) <= 500 else ""
    session.execute(update(FormSubmission).where(FormSubmission.token == key).values(result_url=location))
    session.commit()
    return response


def prune(now=None) -> int:
    """Delete keys claimed more than ``KEEP_DAYS`` ago (the caller commits); their count."""
    cutoff = (now or utcnow()) - timedelta(days=KEEP_DAYS)
    return db.session.execute(delete(FormSubmission).where(FormSubmission.created_at < cutoff)).rowcount


def install(app: Flask) -> None:
    """Give templates ``form_key()`` and remember first answers (the areas claim keys themselves,
    in their ``before_request`` after their guards: see ``claim_form_key``)."""
    app.jinja_env.globals["form_key"] = form_key_field
    app.after_request(remember_result)
