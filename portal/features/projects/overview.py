"""The project list and a project's overview tab."""

from __future__ import annotations

from flask import render_template

from core.models import Project
from core.pagination import paginate

from ...guards import scoped
from . import bp
from .access import open_tab


@bp.route("/projects")
def index():
    stmt = scoped(Project).order_by(Project.start_date.desc(), Project.id.desc())
    return render_template("portal/projects/index.html", page=paginate(stmt))


@bp.route("/projects/<int:project_id>")
def detail(project_id: int):
    return render_template("portal/projects/overview.html", view=open_tab(project_id, "overview"))
