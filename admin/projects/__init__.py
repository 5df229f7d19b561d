"""Projects in the admin area: the list across customers, and per project its details,
customer settings, tasks (with comments), milestones, files and discussions.

Views only parse, load, call one service of ``core.services.projects`` and redirect.
"""

from . import content, overview, tasks

__all__ = ["content", "overview", "tasks"]
