"""Helpers shared by the browser tests: logging in through the login form, and axe-core's
serious and critical accessibility violations on the current page."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests import factories

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],  # details only for violations: much faster
}
BLOCKING = {"serious", "critical"}


def log_in(page: Page, email: str, password: str = factories.PASSWORD) -> None:
    """Fill in and submit the login form the page shows (customer area or admin area)."""
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def audit(page: Page, axe, label: str) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line per rule
    (WCAG 2.0/2.1 A and AA rules; ``axe`` is the path of axe.min.js, injected into the page,
    which needs a context made with ``bypass_csp=True``)."""
    page.add_script_tag(path=str(axe))
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        summary = (violation["nodes"][0].get("failureSummary") or "").replace("\n", " ")[:200]
        lines.append(
            f"{label}: {violation['id']} ({violation['impact']}) {violation['help']} -> {targets[:6]}"
            + (f" (+{len(targets) - 6} more)" if len(targets) > 6 else "")
            + f" | {summary}"
        )
    return lines
