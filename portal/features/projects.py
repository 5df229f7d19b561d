"""Projects with their customer-visible tasks."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from core.extensions import db
from core.models import Project, Task
from core.pagination import paginate

from ..guards import feature_blueprint, owned_or_404, scoped

bp = feature_blueprint("projects", __name__, "projects")


@bp.route("/projects")
def index():
    stmt = scoped(Project).order_by(Project.start_date.desc(), Project.id.desc())
    page = paginate(stmt)
    return render_template("portal/projects/index.html", page=page)


@bp.route("/projects/<int:project_id>")
def detail(project_id: int):
    project = owned_or_404(Project, project_id)
    # Internal tasks never reach the customer area.
    tasks = db.session.scalars(
        select(Task).where(Task.project_id == project.id, Task.visible_to_customer).order_by(Task.id)
    ).all()
    return render_template("portal/projects/detail.html", project=project, tasks=tasks)
