"""Forms of the project pages in the customer area."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core.i18n import _l


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"), validators=[DataRequired(message=_l("Write a comment first.")), Length(max=10_000)]
    )


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])


def flash_errors(form: FlaskForm) -> None:
    """Show the first error of each field (the page redirects, so the form is not re-rendered)."""
    for errors in form.errors.values():
        flash(str(errors[0]), "danger")  # a lazy message: the session stores text
