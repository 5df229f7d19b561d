"""SQL statements per customer-area page: a small constant, whatever the amount of data.

Every GET page of the portal blueprint (walked from ``app.url_map``, so a new page cannot be
forgotten) is requested twice: as the primary contact of a customer with SMALL objects of every
kind, and as the primary contact of a customer with LARGE objects of every kind (more than one
page of every list; the detail objects have LARGE lines, payments, comments, replies, files).
Each customer's data is the other one's "someone else's data". Every statement the database
driver executes while the request runs is counted, the user loader's and the guards' included.

A page passes when it runs exactly the same number of statements at both sizes (no query per
row, no COUNT that only appears once there is a second page) and no more than ``BUDGET``.
Every list page is also checked to be paginated (page 1 links to page 2) without a COUNT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import url_for
from sqlalchemy import event, select

from core.extensions import db
from core.models import CreditNote, Department, Invoice
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, PRIMARY_MANAGES_CONTACTS, set_settings
from tests.conftest import login
from tests.http.helpers.query_counts import World, build_world

SMALL, LARGE = 2, 25  # LARGE is more than one page (PAGE_SIZE 20) of every list
BUDGET = 8  # statements per page, the user loader included
# Pages that need more than BUDGET: page id -> (exact count, why). None at present.
OVER_BUDGET: dict[str, tuple[int, str]] = {}


# -- the pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    endpoint: str
    values: Callable[[World], dict] = lambda world: {}  # noqa: E731 - the url_for values
    anonymous: bool = False  # requested without logging in (public pages)
    status: int = 200
    label: str = ""

    @property
    def id(self) -> str:
        return self.endpoint.removeprefix("portal.") + (f"[{self.label}]" if self.label else "")


def _ids(*names: str, **extra):
    def values(world: World) -> dict:
        out = {name: world.ids[name] for name in names}
        return {**out, **extra}

    return values


def _project(**extra):
    return _ids("project_id", **extra)


PERIOD = {"from": (date.today() - timedelta(days=800)).isoformat(), "to": date.today().isoformat()}

PAGES: tuple[Page, ...] = (
    Page("portal.index", status=302, label="logged in"),
    Page("portal.index", anonymous=True, status=302, label="anonymous"),
    Page("portal.login", anonymous=True),
    Page("portal.login_verify", anonymous=True, status=302),
    Page("portal.forgot_password", anonymous=True),
    Page("portal.set_password", lambda w: {"token": w.tokens["invitation"]}, anonymous=True),
    Page("portal.reset_password", lambda w: {"token": w.tokens["password_reset"]}, anonymous=True),
    Page("portal.unsubscribe", lambda w: {"token": w.tokens["unsubscribe"]}, anonymous=True),
    Page("portal.request_sign_in_link", anonymous=True),
    Page("portal.sign_in_link", lambda w: {"token": w.tokens["sign_in_link"]}, anonymous=True),
    Page("portal.dashboard"),
    Page("portal.profile"),
    Page("portal.two_factor"),
    Page("portal.passkeys"),
    Page("portal.company.details"),
    Page("portal.colleagues.index"),
    Page("portal.colleagues.invite"),
    Page("portal.colleagues.edit", _ids("contact_id")),
    Page("portal.invoices.index"),
    Page("portal.invoices.index", lambda w: {"status": "overdue", "year": date.today().year}, label="filtered"),
    Page("portal.invoices.detail", _ids("invoice_id")),
    Page("portal.invoices.invoice_pdf", _ids("invoice_id")),
    Page("portal.invoices.credit_notes"),
    Page("portal.invoices.credit_note", _ids("credit_note_id")),
    Page("portal.invoices.credit_note_pdf", _ids("credit_note_id")),
    Page("portal.invoices.statement", lambda w: PERIOD),
    Page("portal.invoices.statement_download", lambda w: PERIOD),
    # Without Stripe configured the card page does not exist (tests/http/test_card_payments.py).
    Page("portal.payments.card", _ids("invoice_id"), status=404, label="card payments off"),
    Page("portal.payments_several.card", lambda w: {"attempt_id": 1}, status=404, label="card payments off"),
    Page("portal.estimates.index"),
    Page("portal.estimates.detail", _ids("estimate_id")),
    Page("portal.estimates.estimate_pdf", _ids("estimate_id")),
    Page("portal.contracts.index"),
    Page("portal.contracts.detail", _ids("contract_id")),
    Page("portal.contracts.contract_pdf", _ids("contract_id")),
    Page("portal.proposals.index"),
    Page("portal.proposals.detail", _ids("proposal_id")),
    Page("portal.tickets.index"),
    Page("portal.tickets.index", lambda w: {"status": "open"}, label="open"),
    Page("portal.tickets.new"),
    Page("portal.tickets.detail", _ids("ticket_id")),
    Page("portal.tickets.download", lambda w: {"ticket_id": w.ids["ticket_id"], "file_id": w.ids["ticket_file_id"]}),
    Page("portal.projects.index"),
    Page("portal.projects.detail", _project()),
    Page("portal.projects.tasks", _project()),
    Page("portal.projects.task", _ids("project_id", "task_id")),
    Page("portal.projects.milestones", _project()),
    Page("portal.projects.files", _project()),
    Page("portal.projects.file", lambda w: {"project_id": w.ids["project_id"], "file_id": w.ids["project_file_id"]}),
    Page("portal.projects.discussions", _project()),
    Page("portal.projects.discussion", _ids("project_id", "discussion_id")),
    Page("portal.projects.invoices", _project()),
    Page("portal.projects.estimates", _project()),
    Page("portal.projects.contracts", _project()),
    Page("portal.projects.proposals", _project()),
    Page("portal.projects.tickets", _project()),
)


@pytest.fixture
def statements_during(app):
    """``statements_during(client, url)``: the response, and every SQL statement executed while
    the request ran (the user loader's included); nothing is counted outside the request."""
    recorded: list[str] = []
    recording = False

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if recording:
            recorded.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)

    def run(client, url: str):
        nonlocal recording
        recorded.clear()
        recording = True
        try:
            response = client.get(url)
            response.get_data()  # streamed bodies (files) are read while counting
            response.close()
        finally:
            recording = False
        return response, list(recorded)

    yield run
    event.remove(engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
def worlds(app, f, uploads):
    set_settings({CONTACTS_SEE_ALL_TICKETS: "1", PRIMARY_MANAGES_CONTACTS: "1"})
    db.session.add_all(Department(name=name) for name in ("Billing", "General", "Technical"))
    db.session.commit()
    staff = [f.make_staff() for _ in range(3)]
    return {size: build_world(f, staff, size, uploads) for size in (SMALL, LARGE)}


def _measure(app, statements_during, world: World, page: Page):
    client = app.test_client()
    if not page.anonymous:
        assert login(client, world.contact).status_code == 302
    with app.test_request_context():
        url = url_for(page.endpoint, **page.values(world))
    response, statements = statements_during(client, url)
    assert response.status_code == page.status, (url, response.status_code)
    return statements, response


def _explain(statements: list[str]) -> str:
    return "\n".join(f"  {i + 1}. {' '.join(s.split())[:220]}" for i, s in enumerate(statements))


@pytest.mark.parametrize("page", PAGES, ids=[p.id for p in PAGES])
def test_queries_per_page_do_not_grow_with_data(app, worlds, statements_during, page):
    small, _ = _measure(app, statements_during, worlds[SMALL], page)
    large, _ = _measure(app, statements_during, worlds[LARGE], page)
    assert len(small) == len(large), (
        f"{page.id}: {len(small)} statements with {SMALL} objects, {len(large)} with {LARGE}\n"
        f"small:\n{_explain(small)}\nlarge:\n{_explain(large)}"
    )
    if page.id in OVER_BUDGET:
        assert len(large) == OVER_BUDGET[page.id][0], _explain(large)
    else:
        assert len(large) <= BUDGET, f"{page.id}: {len(large)} statements\n{_explain(large)}"


LISTS = tuple(
    p
    for p in PAGES
    if p.endpoint
    in {
        "portal.colleagues.index",
        "portal.invoices.index",
        "portal.invoices.credit_notes",
        "portal.estimates.index",
        "portal.contracts.index",
        "portal.proposals.index",
        "portal.tickets.index",
        "portal.projects.index",
        "portal.projects.tasks",
        "portal.projects.milestones",
        "portal.projects.files",
        "portal.projects.discussions",
        "portal.projects.invoices",
        "portal.projects.estimates",
        "portal.projects.contracts",
        "portal.projects.proposals",
        "portal.projects.tickets",
    }
    and not p.label
)


@pytest.mark.parametrize("page", LISTS, ids=[p.id for p in LISTS])
def test_list_pages_are_paginated_and_never_count(app, worlds, statements_during, page):
    """With more rows than a page holds, page 1 links to page 2 and back; both cost the same
    and neither runs a COUNT (the pager needs no total)."""
    world = worlds[LARGE]
    first, response = _measure(app, statements_during, world, page)
    assert 'rel="next"' in response.get_data(as_text=True)
    page_2 = Page(page.endpoint, lambda w: {**page.values(w), "page": 2})
    second, response = _measure(app, statements_during, world, page_2)
    assert 'rel="prev"' in response.get_data(as_text=True) and 'rel="next"' not in response.get_data(as_text=True)
    assert len(first) == len(second), f"page 1:\n{_explain(first)}\npage 2:\n{_explain(second)}"
    assert not [s for s in first + second if _is_row_count(s)], _explain(first + second)


def _is_row_count(statement: str) -> bool:
    """A pager's COUNT: ``SELECT count(*) FROM (<the list's select>)``."""
    return " ".join(statement.split()).lower().startswith("select count(*) as count_1 from (select")


def test_every_portal_get_page_is_measured(app):
    """A new customer-area page fails here until it is added to PAGES (and so measured)."""
    get_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("portal.") and "GET" in rule.methods
    }
    assert get_endpoints == {p.endpoint for p in PAGES}


# The pages bench/loadtest.py measures, with the statements each runs (user loader included).
# Fewer statements was the largest single gain on PostgreSQL: a change that adds one must
# update this and the figures in bench/README.md.
BENCHMARKED = {
    "portal.dashboard": 2,  # contact; every panel figure (ticket setting included) in one SELECT
    "portal.invoices.index": 3,  # contact; years and balances in one; the page
    "portal.invoices.detail": 4,  # contact; invoice + items (+ credit notes?, bank account); payments; credit notes
    "portal.invoices.invoice_pdf": 3,  # contact; invoice + items (+ bank account); payments
    "portal.projects.detail": 2,  # contact; project + its settings
}


@pytest.mark.parametrize("endpoint", sorted(BENCHMARKED))
def test_benchmarked_pages_run_exactly_their_statements(app, worlds, statements_during, endpoint):
    page = next(p for p in PAGES if p.endpoint == endpoint and not p.label)
    statements, _response = _measure(app, statements_during, worlds[LARGE], page)
    assert len(statements) == BENCHMARKED[endpoint], _explain(statements)


def test_invoice_detail_skips_the_credit_note_query_when_there_are_none(app, worlds, statements_during):
    world = worlds[LARGE]
    without = db.session.scalar(
        select(Invoice.id).where(
            Invoice.customer_id == world.contact.customer_id,
            Invoice.status != "draft",
            ~select(CreditNote.id).where(CreditNote.invoice_id == Invoice.id).exists(),
        )
    )
    client = app.test_client()
    assert login(client, world.contact).status_code == 302
    with app.test_request_context():
        url = url_for("portal.invoices.detail", invoice_id=without)
    response, statements = statements_during(client, url)
    assert response.status_code == 200
    assert len(statements) == 3, _explain(statements)
