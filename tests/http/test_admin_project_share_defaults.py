"""New tasks, files and discussions are not shown to the customer unless staff tick the box:
the admin's forms for them start unticked."""

from __future__ import annotations

import re

from tests.conftest import text


def _checkbox(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no {name} checkbox"
    return match.group(0)


def test_new_items_start_hidden_from_the_customer(admin_client, f):
    customer = f.make_customer()
    project = f.make_project(customer)
    pages = [text(admin_client.get(f"/admin/projects/{project.id}{tab}")) for tab in ("", "/files", "/discussions")]
    html = "\n".join(pages)
    for name in ("task-visible_to_customer", "file-visible_to_customer", "discussion-visible_to_customer"):
        assert "checked" not in _checkbox(html, name)
