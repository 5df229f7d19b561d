"""Handling a form's POST in a view, the same way in both areas: run the service call on valid
input, flash its success or its refusal (``ServiceError``), and redirect or show the page again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from flask import flash, redirect
from flask_wtf import FlaskForm

from core.forms import flash_errors
from core.services import ServiceError


class Done(NamedTuple):
    """A successful submission (always true, whatever the action returned) and its result."""

    result: object


def run_form(form: FlaskForm, action: Callable[[], object], success, *, flash_invalid: bool = False) -> Done | None:
    """``Done(action())`` when the form was submitted valid and the action succeeded; ``success``
    (a message, or a function of the action's result giving one) is then flashed. A
    ``ServiceError`` is flashed and gives None, as does a form not submitted or invalid
    (nothing runs); with ``flash_invalid`` the invalid form's field errors are flashed too, for
    pages that redirect instead of showing the form again.
    """
    if not form.validate_on_submit():
        if flash_invalid:
            flash_errors(form)
        return None
    try:
        result = action()
    except ServiceError as exc:
        flash(str(exc), "danger")
        return None
    flash(str(success(result) if callable(success) else success), "success")
    return Done(result)


def post_and_redirect(form: FlaskForm, action: Callable[[], object], success, to: str):
    """``run_form`` for a form posted from another page, then back to ``to`` whatever happened."""
    run_form(form, action, success, flash_invalid=True)
    return redirect(to)


def field_values(form: FlaskForm, *names: str) -> dict:
    """``{name: form[name].data}``: a service's keyword arguments named like the form's fields."""
    return {name: form[name].data for name in names}
