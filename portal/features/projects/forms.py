"""Forms of the project pages in the customer area."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(message="Write a comment first."), Length(max=10_000)])


class UploadForm(FlaskForm):
    file = FileField("File", validators=[FileRequired(message="Choose a file to upload.")])


def flash_errors(form: FlaskForm) -> None:
    """Show the first error of each field (the page redirects, so the form is not re-rendered)."""
    for errors in form.errors.values():
        flash(errors[0], "danger")
