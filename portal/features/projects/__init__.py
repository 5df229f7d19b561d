"""Projects in the customer area (the Projects permission).

The project list, and per project one route per tab: overview, tasks, milestones, files,
discussions, and the project's invoices, estimates, contracts, proposals and tickets. Every
tab is opened through ``access.open_tab``, the one place that decides who may see what:
403 without the contact's permission, 404 for another customer's project or for a part the
project's settings hide. Items reached through a project (a task, a file, a discussion) are
loaded by filtering through that project, so another project's item is a 404 too.
"""

from ...guards import feature_blueprint

bp = feature_blueprint("projects", __name__, "projects")

from . import collaboration, documents, overview, tasks  # noqa: E402

__all__ = ["bp", "collaboration", "documents", "overview", "tasks"]
