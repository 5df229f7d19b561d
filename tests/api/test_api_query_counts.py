"""SQL statements per API read: a fixed number, whatever the amount of data (no query per row).

Every GET route of the customers, contacts, sales, projects and tickets resources (walked from ``app.url_map``, so a
new route cannot be forgotten) is requested against a world with SMALL rows of every kind and
one with LARGE rows (more than a page of every list at ``limit=20``; the detail objects have
LARGE lines, payments and replies). A route passes when it runs exactly ``EXPECTED`` statements
at both sizes, the token's lookup included.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event

from api import RESOURCE_BLUEPRINTS
from core import models
from core.extensions import db
from tests import factories
from tests.api.conftest import ApiClient

SMALL, LARGE = 2, 25
GROUPS = ("customers", "contacts", "sales", "projects", "tickets")
# Statements per route: the token's lookup with its creator (1), then the page (lists; a contacts
# page with its permissions and notifications in the same statement) or the object and its
# selectin-loaded children (details); a nested list first checks its parent exists; a PDF also
# loads the customer (and an invoice's the bank account from the settings).
EXPECTED = {
    "api.contacts.list_contacts": 2,
    "api.contacts.get_contact": 4,
    "api.customers.list_customers": 2,
    "api.customers.get_customer": 2,
    "api.invoices.list_documents": 2,
    "api.invoices.read": 4,
    "api.invoices.pdf": 6,
    "api.credit-notes.list_documents": 2,
    "api.credit-notes.read": 3,
    "api.credit-notes.pdf": 4,
    "api.estimates.list_documents": 2,
    "api.estimates.read": 3,
    "api.estimates.pdf": 4,
    "api.contracts.list_documents": 2,
    "api.contracts.read": 2,
    "api.contracts.pdf": 3,
    "api.proposals.list_documents": 2,
    "api.proposals.read": 2,
    "api.projects.list_projects": 2,
    "api.projects.read": 2,
    "api.projects.list_tasks": 3,
    "api.projects.read_task": 2,
    "api.tickets.list_tickets": 2,
    "api.tickets.read": 3,
    "api.tickets.list_replies": 3,
}


def _lines(model, n: int) -> list:
    return [
        model(position=i, description=f"Line {i}", quantity=Decimal(1), unit_price=Decimal(10), tax_rate=Decimal(0))
        for i in range(n)
    ]


def build(n: int, tag: str) -> dict[str, int]:
    """A customer with ``n`` documents of every kind (each with ``n`` lines, an invoice with
    ``n`` payments), ``n`` projects with ``n`` tasks, ``n`` tickets with ``n`` replies; the ids
    of one of each."""
    customer = factories.make_customer(f"World {tag}")
    contact = factories.make_contact(customer)
    for i in range(n):
        factories.make_contact(customer, notifications={"invoice", "ticket"} if i % 2 else ())
    today = date.today()
    for i in range(n):
        invoice = models.Invoice(
            customer_id=customer.id,
            number=f"INV-{tag}-{i}",
            date=today,
            status="unpaid",
            items=_lines(models.InvoiceItem, n),
        )
        invoice.recalculate()
        invoice.payments = [models.Payment(amount=Decimal("0.01"), date=today) for _ in range(n)]
        note = models.CreditNote(
            customer_id=customer.id, number=f"CN-{tag}-{i}", date=today, items=_lines(models.CreditNoteItem, n)
        )
        estimate = models.Estimate(
            customer_id=customer.id, number=f"EST-{tag}-{i}", date=today, items=_lines(models.EstimateItem, n)
        )
        for document in (note, estimate):
            document.recalculate()
        project = models.Project(customer_id=customer.id, name=f"P{i}", start_date=today)
        project.tasks = [models.Task(name=f"T{j}") for j in range(n)]
        ticket = models.Ticket(customer_id=customer.id, contact_id=contact.id, subject=f"S{i}")
        ticket.replies = [models.TicketReply(contact_id=contact.id, body=f"R{j}") for j in range(n)]
        db.session.add_all(
            [
                invoice,
                note,
                estimate,
                project,
                ticket,
                models.Proposal(customer_id=customer.id, subject="P", date=today),
                models.Contract(customer_id=customer.id, subject="C", start_date=today),
            ]
        )
    db.session.commit()
    return {
        "customer_id": customer.id,
        "contact_id": contact.id,
        "invoices": invoice.id,
        "credit-notes": note.id,
        "estimates": estimate.id,
        "proposals": db.session.scalar(db.select(db.func.max(models.Proposal.id))),
        "contracts": db.session.scalar(db.select(db.func.max(models.Contract.id))),
        "project_id": project.id,
        "task_id": project.tasks[-1].id,
        "ticket_id": ticket.id,
    }


def routes(app) -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET route of the groups under test."""
    names = {f"api.{blp.name}" for blp, group in RESOURCE_BLUEPRINTS if group in GROUPS}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.rpartition(".")[0] in names and "GET" in rule.methods:
            found.append((rule.endpoint, rule.rule))
    return sorted(found)


def url(rule: str, endpoint: str, ids: dict[str, int]) -> str:
    blueprint = endpoint.split(".")[1]
    path = rule.replace("<int:doc_id>", str(ids.get(blueprint, 0)))
    for name in ("project_id", "task_id", "ticket_id"):
        path = path.replace(f"<int:{name}>", str(ids[name]))
    # Lists: this customer's rows (where the list filters by customer), a page of 20.
    for name in ("contact_id", "customer_id"):
        path = path.replace(f"<int:{name}>", str(ids[name]))
    if path.endswith(("/contacts", "/invoices", "/credit-notes", "/estimates", "/proposals", "/contracts")):
        return f"{path}?customer_id={ids['customer_id']}&limit=20"
    if path.endswith(("/projects", "/tickets")):
        return f"{path}?customer_id={ids['customer_id']}&limit=20"
    return f"{path}?limit=20" if path.endswith(("/tasks", "/replies", "/customers")) else path


def counted(client: ApiClient, path: str) -> int:
    statements = []

    def before(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    assert response.status_code == 200, (path, response.get_data(as_text=True))
    return len(statements)


def test_every_route_under_test_has_an_expected_count(app):
    assert {endpoint for endpoint, _ in routes(app)} == set(EXPECTED)


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_reads_run_a_fixed_number_of_statements(app, api, endpoint):
    small, large = build(SMALL, "small"), build(LARGE, "large")
    rule = dict(routes(app))[endpoint]
    api.get("/api/v1/invoices")  # the token's first use is noted (an UPDATE once a minute): not counted below
    counts = {size: counted(api, url(rule, endpoint, ids)) for size, ids in (("small", small), ("large", large))}
    assert counts == {"small": EXPECTED[endpoint], "large": EXPECTED[endpoint]}, counts
