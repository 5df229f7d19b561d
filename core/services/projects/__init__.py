"""Projects: the rules for projects, their tasks, milestones, files and discussions.

Split by subject; import everything from here (``from core.services.projects import ...``).
Every function that changes something commits, and queues its emails before committing, so
the emails exist if and only if the change does. What a customer may see of a project is
decided by the project's settings (``project_settings``) and by each item's visibility.
"""

from .collaboration import (
    add_discussion_comment,
    add_milestone,
    add_project_file,
    delete_milestone,
    delete_project_file,
    start_discussion,
    update_milestone,
)
from .lifecycle import (
    create_project,
    project_allows,
    project_search,
    project_settings,
    set_project_settings,
    set_project_status,
    update_project,
)
from .tasks import add_task, add_task_comment, set_task_status, set_task_visibility

__all__ = [
    "add_discussion_comment",
    "add_milestone",
    "add_project_file",
    "add_task",
    "add_task_comment",
    "create_project",
    "delete_milestone",
    "delete_project_file",
    "project_allows",
    "project_search",
    "project_settings",
    "set_project_settings",
    "set_project_status",
    "set_task_status",
    "set_task_visibility",
    "start_discussion",
    "update_milestone",
    "update_project",
]
