"""How the form fuzzing tests post and judge: a form posted with its CSRF token, placeholders
resolved to the world's ids, and the answer judged (never a 5xx; a rejection changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core.services.reminders import REMINDER_SETTINGS
from tests.http.attack_helpers import changed_tables, login_contact, snapshot, token_from

REJECTED = {200, 400, 403, 404, 413, 429}
STRONG = "Kestrel-Orbit-2041!"


# -- posting and judging ------------------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    body: str
    location: str
    before: dict
    after: dict
    data: dict = field(default_factory=dict)

    @property
    def changed(self) -> list[str]:
        return changed_tables(self.before, self.after)

    @property
    def rejected(self) -> bool:
        return self.status in REJECTED


def resolve(data: dict, values: dict) -> dict:
    """Replace sentinel values ("$NAME") by the test's real ids or fresh values."""
    resolved = {}
    for key, value in data.items():
        if isinstance(value, str) and value in values:
            value = values[value]
            value = value() if callable(value) else value
        resolved[key] = str(value)
    return resolved


def post(client, url: str, data: dict, *, token_url: str, exclude=()) -> Outcome:
    """POST ``data`` with a valid CSRF token (the session's, read from ``token_url`` once per
    session); snapshot the database around it."""
    if getattr(client, "csrf_session", None) is None:
        client.csrf_session = token_from(client, token_url)
    data = {**data, "csrf_token": client.csrf_session}
    before = snapshot(exclude)
    response = client.post(url, data=data)
    if response.status_code == 400 and "Form expired" in response.get_data(as_text=True):
        # The session was renewed (a login, a password change): take its new token and retry.
        response.close()
        client.csrf_session = data["csrf_token"] = token_from(client, token_url)
        response = client.post(url, data=data)
    outcome = Outcome(
        response.status_code,
        response.get_data(as_text=True),
        response.headers.get("Location", ""),
        before,
        snapshot(exclude),
        data,
    )
    response.close()
    return outcome


def judge(outcome: Outcome, success=(302,)) -> None:
    """Never a 5xx; a rejection changes nothing; anything else is one of the success statuses."""
    shown = {k: (v if len(v) < 80 else f"{v[:40]!r}...({len(v)} chars)") for k, v in outcome.data.items()}
    assert outcome.status < 500, f"server error {outcome.status} for {shown}"
    assert outcome.status in REJECTED | set(success), f"unexpected {outcome.status} for {shown}"
    if outcome.rejected:
        assert not outcome.changed, f"rejected ({outcome.status}) but changed {outcome.changed}: {shown}"
    if outcome.status in (301, 302, 303):
        location = urlsplit(outcome.location)
        assert not location.scheme and not location.netloc, outcome.location


def contact_client(app, email: str):
    client = app.test_client()
    login_contact(client, email, csrf=True)
    return client


GOOD_INVOICE = {
    "customer": "$CUSTOMER",
    "date": "2026-02-03",
    "status": "unpaid",
    "form_token": "$FRESH_KEY",
    "lines-0-description": "Work",
    "lines-0-quantity": "2",
    "lines-0-unit_price": "10.50",
}


GOOD_SETTINGS = {key: "3" for key in REMINDER_SETTINGS}
