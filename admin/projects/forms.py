"""Forms of the admin project pages. The settings checkboxes come from the catalog."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.catalogs import DEFAULT_PROJECT_SETTINGS, PROJECT_SETTINGS
from core.forms import CustomerEmailChoice
from core.i18n import _l


class Prefixed(FlaskForm):
    """A form whose field names and ids start with ``PREFIX``: the project page holds several
    forms with fields of the same name, and HTML ids must stay unique for their labels."""

    PREFIX = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.PREFIX)
        super().__init__(*args, **kwargs)


class SettingsMixin:
    """One ``setting_<key>`` checkbox per entry of ``PROJECT_SETTINGS`` (added below)."""

    def settings(self) -> set[str]:
        return {s.key for s in PROJECT_SETTINGS if self[f"setting_{s.key}"].data}

    def setting_fields(self):
        return [self[f"setting_{s.key}"] for s in PROJECT_SETTINGS]


class ProjectForm(SettingsMixin, CustomerEmailChoice, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])


class ProjectEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    progress = IntegerField(
        _l("Progress (%)"),
        validators=[InputRequired(), NumberRange(min=0, max=100, message=_l("Progress is between 0 and 100."))],
    )


class SettingsForm(SettingsMixin, FlaskForm):
    pass


for _s in PROJECT_SETTINGS:
    # New projects start from the default settings; the settings form is filled from the project.
    setattr(ProjectForm, f"setting_{_s.key}", BooleanField(_s.label, default=_s.key in DEFAULT_PROJECT_SETTINGS))
    setattr(SettingsForm, f"setting_{_s.key}", BooleanField(_s.label))


class StatusForm(CustomerEmailChoice, FlaskForm):
    """A project's or a task's status; either change may email the customer."""

    status = SelectField(_l("Status"), validators=[DataRequired()])


class TaskForm(CustomerEmailChoice, Prefixed):
    PREFIX = "task"
    name = StringField(_l("Task"), validators=[DataRequired(), Length(max=200)])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    visible_to_customer = BooleanField(_l("Visible to customer"))  # staff opt in to showing it


class VisibilityForm(FlaskForm):
    visible_to_customer = BooleanField(_l("Visible to customer"))


class CommentForm(CustomerEmailChoice, FlaskForm):
    body = TextAreaField(
        _l("Comment"), validators=[DataRequired(message=_l("Write a comment first.")), Length(max=10_000)]
    )


class MilestoneForm(Prefixed):
    PREFIX = "milestone"
    name = StringField(_l("Milestone"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    visible_to_customer = BooleanField(_l("Visible to customer"), default=True)


class FileForm(CustomerEmailChoice, Prefixed):
    PREFIX = "file"
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file to upload."))])
    visible_to_customer = BooleanField(_l("Visible to customer"))  # staff opt in to showing it


class DiscussionForm(Prefixed):
    PREFIX = "discussion"
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10_000)])
    visible_to_customer = BooleanField(_l("Visible to customer"))  # staff opt in to showing it


class DeleteForm(FlaskForm):
    """An empty form: only its CSRF token guards a delete button."""
