"""Issue 16 "Phones": no page of either area is wider than the screen.

"On a 390 px wide phone the invoice, estimate and contract lists make the whole page scroll
sideways, so the amounts and statuses are cut off. No page of either area may be wider than the
screen at 390 px: lists become stacked rows or cards with the number, status, amount and due
date visible without scrolling; detail pages wrap."

Every page of both areas (each list, one detail of each kind, the project tabs, profile,
company, every admin customer tab...) is visited at 390x844 and at 1280x800, with realistic data
(long company names and addresses, a partly paid invoice, a credit note, one document of each
kind in a project). On each page:

- the document is no wider than the viewport (``scrollWidth`` of ``<html>`` against
  ``innerWidth``); a wide table may scroll inside its own ``.table-responsive`` box;
- on the customer area's lists, every filled cell of every row (number, dates, status, amount,
  the PDF link) is shown and lies inside the screen: no scrolling, not even inside the table;
- axe-core finds no serious or critical accessibility violation.

Each page is saved as ``test-artifacts/screenshots/<width>x<height>-<name>.png``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from core import models
from core.document_kinds import kind_of
from core.extensions import db
from core.services.sending import send_document
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from core.webhooks import emit
from tests.e2e.helpers import DESKTOP, PHONE, SCREENSHOTS, audit, log_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf]

VIEWPORTS = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
STAFF_EMAIL = "staff@example.com"
# No hyphen to break at: the address must wrap anywhere it is shown.
CONTACT_EMAIL = "paula.primaryaccounts@acmerocketsandpropulsion.example"

# The document against the viewport; when it is wider, the innermost elements that stick out.
MEASURE = """() => {
  const width = window.innerWidth;
  const sticking = [];
  if (document.documentElement.scrollWidth > width) {
    const out = el => {
      const r = el.getBoundingClientRect();
      // A box sticking out, or text running out of its box (a word too long to fit).
      return r.width > 0 && (r.right > width + 0.5 || (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
        && !el.children.length && getComputedStyle(el).overflowX === 'visible'));
    };
    for (const el of document.body.querySelectorAll('*')) {
      if (out(el) && ![...el.children].some(out)) {
        const name = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
          ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
        const right = Math.round(el.getBoundingClientRect().right);
        sticking.push(`${name} "${el.textContent.trim().slice(0, 30)}" right=${right}`);
      }
    }
  }
  return {document: document.documentElement.scrollWidth, viewport: width, sticking: sticking.slice(0, 6)};
}"""

# Every filled cell of a list's rows (and what is in it) that is hidden, or (partly) outside the
# screen or outside the visible part of the table's scrolling box.
ROW_CELLS = """() => {
  const problems = [];
  for (const cell of document.querySelectorAll('main table > tbody > tr > td, main table > tbody > tr > th')) {
    if (!cell.textContent.trim()) continue;
    const box = cell.closest('.table-responsive');
    const left = box ? Math.max(0, box.getBoundingClientRect().left) : 0;
    const right = Math.min(window.innerWidth, box ? box.getBoundingClientRect().right : Infinity);
    for (const el of [cell, ...cell.querySelectorAll('*')]) {
      const r = el.getBoundingClientRect();
      const what = `"${el.textContent.trim().slice(0, 30)}"`;
      if (el === cell && (r.width === 0 || r.height === 0)) problems.push(`${what} is hidden`);
      else if (r.width > 0 && (r.left < left - 0.5 || r.right > right + 0.5))
        problems.push(`${what} spans ${Math.round(r.left)}..${Math.round(r.right)} px of ${left}..${right}`);
    }
  }
  return problems.slice(0, 6);
}"""


@pytest.fixture
def ids(f, uploads):
    """One customer with one of each document, a project holding some of them and a task,
    milestone, discussion and file; its primary contact, a colleague, and a staff administrator.
    Names and numbers are as long as real ones get."""
    set_settings({PRIMARY_MANAGES_CONTACTS: "1"})
    staff = f.make_staff(email=STAFF_EMAIL, name="Samantha Staff-Administrator")
    customer = f.make_customer(
        "Acme Rockets and Propulsion Systems International GmbH",
        vat_number="DE123456789012",
        phone="+49 30 1234567-89",
        website="https://www.acme-rockets-and-propulsion-systems.example/customer-service",
        address="Raketenstartplatzstraße 12345, Hinterhaus, 3. Obergeschoss links",
        zip_code="10115",
        city="Berlin-Charlottenburg-Wilmersdorf",
        country="Germany",
    )
    contact = f.make_contact(
        customer,
        first_name="Paula",
        last_name="Primary-Accountingsworth",
        email=CONTACT_EMAIL,
        is_primary=True,
        position="Head of Accounts Payable and Procurement",
        notifications={"invoice", "estimate", "contract"},
    )
    colleague = f.make_contact(
        customer,
        first_name="Sid",
        last_name="Supportington",
        email="sid.supportington@acme-rockets-and-propulsion.example",
        permissions={"support"},
    )
    project = f.make_project(
        customer,
        name="Launch pad refurbishment, phase two",
        tasks=[("Pour the concrete foundation of the northern launch pad", True), ("Paint", True)],
    )
    task = project.tasks[0]
    today = date.today()
    invoice = f.make_priced_invoice(
        customer,
        number="INV-2026-000123",
        total="123456.78",
        issued=today - timedelta(days=20),
        due=today + timedelta(days=10),
        status="partially_paid",
        paid=[("23456.78", today - timedelta(days=5))],
    )
    invoice.payments[0].method = "Bank transfer"
    invoice.payments[0].reference = "SEPA-2026-0415-ACME-ROCKETS-PAYMENT-REF"
    overdue = f.make_invoice(customer, status="overdue", due_in_days=-3, number="INV-2026-000124")
    f.make_invoice(customer, status="paid", number="INV-2026-000125")
    note = f.make_credit_note(customer)
    note.invoice_id = invoice.id
    estimate = f.make_estimate(customer)
    estimate.expiry_date = today + timedelta(days=30)
    contract = f.make_contract(customer, subject="Maintenance of the rocket fuel pumps 2026")
    contract.end_date = today + timedelta(days=365)
    contract.value = Decimal("98765.43")
    proposal = f.make_proposal(customer, subject="Second launch pad with crew access tower")
    proposal.open_till = today + timedelta(days=60)
    ticket = f.make_ticket(customer, contact, subject="The fuel gauge reads zero although the tank is full")
    for document in (invoice, overdue, estimate, contract, proposal, ticket):
        document.project_id = project.id
    task.due_date = today + timedelta(days=7)
    milestone = models.Milestone(project_id=project.id, name="Foundation poured", due_date=today)
    discussion = models.Discussion(project_id=project.id, subject="Colour of the service tower")
    stored = models.StoredFile(
        customer_id=customer.id,
        project_id=project.id,
        original_name="launch-pad-foundation-plan-revision-7-final-approved.pdf",
        stored_name="page-widths-plan",
        content_type="application/pdf",
        size=48_213,
    )
    # One passkey each (the pages' tables; the keys are never used to sign in here).
    passkeys = [
        models.Passkey(credential_id=f"page-widths-{owner}", public_key=b"-", name=name, **{owner: person.id})
        for owner, person, name in (
            ("contact_id", contact, "Work laptop (fingerprint reader, 2026 model)"),
            ("staff_id", staff, "Security key in the office drawer"),
        )
    ]
    db.session.add_all([milestone, discussion, stored, *passkeys])
    db.session.flush()
    db.session.add_all(
        [
            models.TaskComment(task_id=task.id, contact_id=contact.id, body="Concrete arrives on Monday."),
            models.DiscussionComment(discussion_id=discussion.id, contact_id=contact.id, body="Signal orange?"),
        ]
    )
    db.session.commit()
    email = send_document(kind_of(invoice), invoice, {contact.id}, attach_pdf=False)[0]
    endpoint = f.make_webhook_endpoint(url="https://127.0.0.1/hooks/portal-events-for-the-erp-and-crm-systems")
    [delivery] = emit("project.status_changed", project, previous_status="not_started")
    db.session.commit()
    return {
        "webhook": endpoint.id,
        "webhook_delivery": delivery.id,
        "customer": customer.id,
        "contact": contact.id,
        "colleague": colleague.id,
        "invoice": invoice.id,
        "credit_note": note.id,
        "estimate": estimate.id,
        "contract": contract.id,
        "proposal": proposal.id,
        "ticket": ticket.id,
        "project": project.id,
        "task": task.id,
        "discussion": discussion.id,
        "email": email.id,
    }


def portal_pages(ids: dict) -> list[tuple[str, str, bool]]:
    """(name, path, is a list whose rows must fit the screen) of every customer-area page."""
    project = f"/projects/{ids['project']}"
    pages = [
        ("dashboard", "/dashboard", False),
        ("invoices", "/invoices", True),
        ("invoice", f"/invoices/{ids['invoice']}", False),
        ("credit-notes", "/credit-notes", True),
        ("credit-note", f"/credit-notes/{ids['credit_note']}", False),
        ("statement", "/statement", False),
        ("estimates", "/estimates", True),
        ("estimate", f"/estimates/{ids['estimate']}", False),
        ("proposals", "/proposals", True),
        ("proposal", f"/proposals/{ids['proposal']}", False),
        ("contracts", "/contracts", True),
        ("contract", f"/contracts/{ids['contract']}", False),
        ("tickets", "/tickets", True),
        ("ticket", f"/tickets/{ids['ticket']}", False),
        ("new-ticket", "/tickets/new", False),
        ("projects", "/projects", True),
        ("project", project, False),
        ("project-tasks", f"{project}/tasks", True),
        ("project-task", f"{project}/tasks/{ids['task']}", False),
        ("project-files", f"{project}/files", True),
        ("project-discussions", f"{project}/discussions", False),
        ("project-discussion", f"{project}/discussions/{ids['discussion']}", False),
        ("project-milestones", f"{project}/milestones", False),
        ("project-invoices", f"{project}/invoices", True),
        ("project-estimates", f"{project}/estimates", True),
        ("project-contracts", f"{project}/contracts", True),
        ("project-proposals", f"{project}/proposals", True),
        ("project-tickets", f"{project}/tickets", True),
        ("profile", "/profile", False),
        ("passkeys", "/profile/passkeys", True),
        ("company", "/company", False),
        ("colleagues", "/company/contacts", True),
        ("colleague", f"/company/contacts/{ids['colleague']}", False),
        ("invite", "/company/contacts/new", False),
    ]
    return [(f"portal-{name}", path, is_list) for name, path, is_list in pages]


def admin_pages(ids: dict) -> list[tuple[str, str, bool]]:
    """(name, path, False) of every admin page: wide admin tables may scroll inside their box."""
    customer = f"/admin/customers/{ids['customer']}"
    tabs = ("invoices", "credit_notes", "estimates", "proposals", "contracts", "tickets", "projects")
    pages = [
        ("customers", "/admin/customers"),
        ("customer-profile", customer),
        ("customer-contacts", f"{customer}/contacts"),
        *((f"customer-{tab}", f"{customer}/{tab}") for tab in tabs),
        ("customer-emails", f"/admin/emails?customer_id={ids['customer']}"),
        ("customer-edit", f"{customer}/edit"),
        ("contact-new", f"{customer}/contacts/new"),
        ("contact-edit", f"/admin/contacts/{ids['contact']}/edit"),
        ("invoices", "/admin/invoices"),
        ("invoice", f"/admin/invoices/{ids['invoice']}"),
        ("invoice-send", f"/admin/invoices/{ids['invoice']}/send"),
        ("credit-notes", "/admin/credit-notes"),
        ("credit-note", f"/admin/credit-notes/{ids['credit_note']}"),
        ("estimates", "/admin/estimates"),
        ("estimate", f"/admin/estimates/{ids['estimate']}"),
        ("contracts", "/admin/contracts"),
        ("contract", f"/admin/contracts/{ids['contract']}"),
        ("proposals", "/admin/proposals"),
        ("proposal", f"/admin/proposals/{ids['proposal']}"),
        ("projects", "/admin/projects"),
        ("project", f"/admin/projects/{ids['project']}"),
        ("task", f"/admin/tasks/{ids['task']}"),
        ("discussion", f"/admin/discussions/{ids['discussion']}"),
        ("tickets", "/admin/tickets"),
        ("ticket", f"/admin/tickets/{ids['ticket']}"),
        ("departments", "/admin/departments"),
        ("staff", "/admin/staff"),
        ("settings", "/admin/settings"),
        ("passkeys", "/admin/account/passkeys"),
        ("api-tokens", "/admin/api-tokens"),
        ("audit", "/admin/audit"),
        ("emails", "/admin/emails"),
        ("email", f"/admin/emails/{ids['email']}"),
        ("webhooks", "/admin/webhooks"),
        ("webhook-new", "/admin/webhooks/new"),
        ("webhook", f"/admin/webhooks/{ids['webhook']}"),
        ("webhook-delivery", f"/admin/webhooks/deliveries/{ids['webhook_delivery']}"),
    ]
    return [(f"admin-{name}", path, False) for name, path in pages]


def check_pages(page: Page, base: str, pages: list[tuple[str, str, bool]], axe) -> list[str]:
    """Visit each page; one line per page that is wider than the screen, per list whose rows do
    not fit, per accessibility violation. Saves a full-page screenshot of each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = f"{page.viewport_size['width']}x{page.viewport_size['height']}"
    problems = []
    for name, path, is_list in pages:
        label = f"{name} at {size}"
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, f"{label}: {path} answered {response.status}"
        page.screenshot(path=SCREENSHOTS / f"{size}-{name}.png", full_page=True)
        measured = page.evaluate(MEASURE)
        if measured["document"] > measured["viewport"]:
            problems.append(
                f"{label}: the page is {measured['document']} px wide for {measured['viewport']} px;"
                f" sticking out: {measured['sticking']}"
            )
        if is_list and (cells := page.evaluate(ROW_CELLS)):
            problems.append(f"{label}: list rows do not fit the screen: {cells}")
        problems += audit(page, axe, label)
    return problems


def open_area(new_page, base: str, viewport: dict, login_path: str, email: str) -> Page:
    page = new_page(viewport=viewport, bypass_csp=True)  # bypass_csp: only to inject axe-core
    page.goto(f"{base}{login_path}")
    log_in(page, email)
    expect(page.locator("main h1")).to_be_visible()
    return page


@VIEWPORTS
def test_customer_area_pages_fit_the_screen(live_server, new_page, axe, ids, viewport):
    page = open_area(new_page, live_server, viewport, "/login", CONTACT_EMAIL)
    problems = check_pages(page, live_server, portal_pages(ids), axe)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    assert page.problems == []


@VIEWPORTS
def test_admin_area_pages_fit_the_screen(live_server, new_page, axe, ids, viewport):
    page = open_area(new_page, live_server, viewport, "/admin/login", STAFF_EMAIL)
    problems = check_pages(page, live_server, admin_pages(ids), axe)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
    assert page.problems == []
