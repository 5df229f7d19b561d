"""Sales documents in the customer area: invoices (totals, filters, PDFs, statement), estimates
and proposals (accept once / decline once, comments), contracts (sign once).

Every action is checked for a permitted contact (and the database change), a contact without
the permission (403, nothing changes), and a contact of another customer (404, nothing
changes); double submits have one effect; emails are counted in the outbox. Estimates and
proposals have their own files (test_portal_sales_estimates.py, test_portal_sales_proposals.py).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Contract, Estimate, OutboxEmail, Proposal
from tests import factories
from tests.conftest import text
from tests.factories import PASSWORD
from tests.http.helpers.portal_sales import OTHER_IP, TODAY, expect_pdf, fresh, outbox


def make_invoice(customer, *, number, issued=None, due=None, total="119.00", **options):
    """An invoice with one line totalling ``total`` (no tax) and payments ``(amount, date)``."""
    issued = issued or TODAY - timedelta(days=1)
    due = due if due is not None else issued + timedelta(days=14)
    return factories.make_priced_invoice(customer, number=number, total=total, issued=issued, due=due, **options)


def flashed(response) -> str:
    """The page after following a redirect; tests look for the flashed message in it."""
    return text(response)


# -- invoices --------------------------------------------------------------------------------


def test_invoice_list_shows_badges_and_totals_and_never_drafts(world):
    c = world["customer"]
    make_invoice(c, number="INV-UNPAID", total="100.00")
    make_invoice(c, number="INV-LATE", issued=TODAY - timedelta(days=40), due=TODAY - timedelta(days=5), total="50.00")
    make_invoice(c, number="INV-PART", total="80.00", paid=[("30.00", TODAY)], status="partially_paid")
    make_invoice(c, number="INV-PAID", total="70.00", paid=[("70.00", TODAY)], status="paid")
    make_invoice(c, number="INV-VOID", total="60.00", status="cancelled")
    make_invoice(c, number="INV-DRAFT", total="999.00", status="draft")
    make_invoice(world["other_customer"], number="INV-FOREIGN", total="5.00")

    page = text(world["client"].get("/invoices"))
    for number in ("INV-UNPAID", "INV-LATE", "INV-PART", "INV-PAID", "INV-VOID"):
        assert number in page
    assert "INV-DRAFT" not in page and "INV-FOREIGN" not in page
    for badge in ("Unpaid", "Overdue", "Partially paid", "Paid", "Cancelled"):
        assert f">{badge}</span>" in page
    # Amount due: 100 + 50 + (80 - 30); overdue: the 50 past its due date.
    assert re.search(r'data-testid="amount-due">200.00 EUR<', page)
    assert re.search(r'data-testid="amount-overdue">50.00 EUR<', page)


def test_invoice_list_filters_by_status_and_year(world):
    c = world["customer"]
    make_invoice(c, number="INV-NOW")
    make_invoice(c, number="INV-LATE", issued=TODAY - timedelta(days=40), due=TODAY - timedelta(days=5))
    old = make_invoice(c, number="INV-OLD", issued=date(TODAY.year - 2, 6, 1), status="paid", paid=[("119", TODAY)])
    client = world["client"]

    overdue = text(client.get("/invoices?status=overdue"))
    assert "INV-LATE" in overdue and "INV-NOW" not in overdue and "INV-OLD" not in overdue
    unpaid = text(client.get("/invoices?status=unpaid"))
    assert "INV-NOW" in unpaid and "INV-LATE" not in unpaid

    by_year = text(client.get(f"/invoices?year={old.date.year}"))
    assert "INV-OLD" in by_year and "INV-NOW" not in by_year
    assert "INV-OLD" not in text(client.get(f"/invoices?year={old.date.year}&status=unpaid"))

    for junk in ("1999", "abc", "99999999999999999999"):
        response = client.get(f"/invoices?year={junk}&status=nonsense")
        assert response.status_code == 200
        page = text(response)
        assert "no invoices in that year" in page and "INV-OLD" in page and "INV-NOW" in page


def test_invoice_detail_shows_items_taxes_discount_payments_and_balance(world):
    invoice = make_invoice(world["customer"], number="INV-D", total="200.00", paid=[("50.00", TODAY)])
    invoice.items[0].tax_rate = Decimal("10")
    invoice.discount = Decimal("20.00")
    invoice.recalculate()
    invoice.status = "partially_paid"
    db.session.commit()
    page = text(world["client"].get(f"/invoices/{invoice.id}"))
    # 200 + 20 tax - 20 discount = 200 total; 50 paid -> 150 due.
    for expected in ("Work", "20.00 EUR", "−20.00 EUR", "200.00 EUR", "Payments received", "50.00 EUR"):
        assert expected in page
    assert re.search(r'data-testid="balance">150.00 EUR<', page)
    assert f"/invoices/{invoice.id}/pdf" in page


def test_invoice_detail_lists_only_its_own_credit_notes(world, f):
    c = world["customer"]
    invoice = make_invoice(c, number="INV-CN")
    plain = make_invoice(c, number="INV-PLAIN")
    linked, unlinked = f.make_credit_note(c), f.make_credit_note(c)
    foreign = f.make_credit_note(world["other_customer"])  # inconsistent data: another customer's note
    linked.invoice_id = foreign.invoice_id = invoice.id
    db.session.commit()

    page = text(world["client"].get(f"/invoices/{invoice.id}"))
    assert linked.number in page and unlinked.number not in page and foreign.number not in page
    page = text(world["client"].get(f"/invoices/{plain.id}"))
    assert "Credit notes" not in page and linked.number not in page


def test_invoice_and_credit_note_pdfs(world, f):
    c = world["customer"]
    invoice = make_invoice(c, number="INV-PDF")
    draft = make_invoice(c, number="INV-PDF-DRAFT", status="draft")
    note = f.make_credit_note(c)
    client = world["client"]

    expect_pdf(client.get(f"/invoices/{invoice.id}/pdf"), "invoice-INV-PDF")
    expect_pdf(client.get(f"/credit-notes/{note.id}/pdf"), "credit-note-CN-T")
    assert client.get(f"/invoices/{draft.id}/pdf").status_code == 404
    assert client.get("/invoices/2147483648/pdf").status_code == 404

    for url in (f"/invoices/{invoice.id}/pdf", f"/credit-notes/{note.id}/pdf", f"/invoices/{invoice.id}"):
        foreign = world["stranger"].get(url)
        assert foreign.status_code == 404 and b"%PDF" not in foreign.data
        denied = world["nothing"].get(url)
        assert denied.status_code == 403 and b"%PDF" not in denied.data


def test_statement_page_and_pdf(world):
    c = world["customer"]
    year = TODAY.year
    make_invoice(
        c, number="INV-PREV", issued=date(year - 1, 12, 1), total="100.00", paid=[("40.00", date(year - 1, 12, 20))]
    )
    make_invoice(c, number="INV-IN", issued=date(year, 2, 1), total="300.00", paid=[("100.00", date(year, 3, 1))])
    make_invoice(c, number="INV-DRAFT-S", issued=date(year, 2, 2), total="999.00", status="draft")
    make_invoice(world["other_customer"], number="INV-THEIRS", issued=date(year, 2, 3), total="7.00")
    client = world["client"]

    page = text(client.get(f"/statement?from={year}-01-01&to={year}-12-31"))
    assert re.search(r'data-testid="opening-balance">60.00 EUR<', page)
    assert re.search(r'data-testid="invoiced">300.00 EUR<', page)
    assert re.search(r'data-testid="paid">100.00 EUR<', page)
    assert re.search(r'data-testid="closing-balance">260.00 EUR<', page)
    assert "INV-IN" in page and "INV-DRAFT-S" not in page and "INV-THEIRS" not in page
    # The default period is the current year.
    assert re.search(r'data-testid="closing-balance">260.00 EUR<', text(client.get("/statement")))

    expect_pdf(client.get(f"/statement.pdf?from={year}-01-01&to={year}-12-31"), f"statement-{year}-01-01-{year}-12-31")


def test_a_nul_character_in_the_query_is_a_clear_400(world):
    response = world["client"].get("/statement?from=%00")
    assert response.status_code == 400 and "could not be understood" in text(response)


@pytest.mark.parametrize(
    "query",
    ["from=2026-13-01&to=2026-12-31", "from=yesterday", "from=2026-05-01&to=2026-04-01", "to=2026-02-30"],
)
def test_statement_with_bad_dates_says_so_and_shows_the_current_year(world, query):
    client = world["client"]
    response = client.get(f"/statement?{query}")
    assert response.status_code == 200
    page = text(response)
    assert ("Enter the dates as YYYY-MM-DD" in page) or ("start date is after the end date" in page)
    assert f'value="{TODAY.year}-01-01"' in page and f'value="{TODAY.year}-12-31"' in page

    download = client.get(f"/statement.pdf?{query}", follow_redirects=True)
    assert download.status_code == 200 and download.mimetype == "text/html"
    assert "Showing the current year" in text(download)


def test_statement_belongs_to_the_contacts_own_customer(world):
    make_invoice(world["customer"], number="INV-MINE", total="500.00")
    theirs = text(world["stranger"].get("/statement"))
    assert "INV-MINE" not in theirs and "500.00" not in theirs
    assert world["stranger"].get("/statement.pdf").status_code == 200  # their own (empty) statement
    assert world["nothing"].get("/statement").status_code == 403
    assert world["nothing"].get("/statement.pdf").status_code == 403


# -- contracts -------------------------------------------------------------------------------


def test_signing_a_contract_once(world, f):
    contract = f.make_contract(world["customer"], subject="Support agreement")
    client = world["client"]
    response = client.post(
        f"/contracts/{contract.id}/sign",
        data={"signer_name": "Anna Able"},
        environ_base={"REMOTE_ADDR": OTHER_IP},
        follow_redirects=True,
    )
    assert "contract is signed" in text(response)
    saved = fresh(Contract, contract.id)
    assert (saved.signer_name, saved.signer_ip) == ("Anna Able", OTHER_IP) and saved.signed_at is not None
    signed_at = saved.signed_at
    assert outbox("staff_contract_signed") == sorted(s.email for s in world["staff"])
    page = text(client.get(f"/contracts/{contract.id}"))
    assert "Signed by <strong>Anna Able</strong>" in page and "Sign contract" not in page

    for data in ({"signer_name": "Mallory"}, {}):
        again = client.post(f"/contracts/{contract.id}/sign", data=data, follow_redirects=True)
        assert "already signed by Anna Able" in text(again)
    saved = fresh(Contract, contract.id)
    assert (saved.signer_name, saved.signed_at, saved.signer_ip) == ("Anna Able", signed_at, OTHER_IP)
    assert len(outbox("staff_contract_signed")) == 2
    expect_pdf(client.get(f"/contracts/{contract.id}/pdf"), f"contract-{contract.id}")


@pytest.mark.parametrize("name", ["", "x" * 161])
def test_signing_needs_a_name_of_at_most_160_characters(world, f, name):
    contract = f.make_contract(world["customer"])
    response = world["client"].post(f"/contracts/{contract.id}/sign", data={"signer_name": name})
    assert response.status_code == 200 and ("This field is required" in text(response) or "160" in text(response))
    assert fresh(Contract, contract.id).signed_at is None
    assert outbox("staff_contract_signed") == []


def test_contract_access(world, f):
    contract = f.make_contract(world["customer"], subject="Private contract")
    for client, status in ((world["stranger"], 404), (world["nothing"], 403)):
        for url in (f"/contracts/{contract.id}", f"/contracts/{contract.id}/pdf"):
            response = client.get(url)
            assert response.status_code == status and b"%PDF" not in response.data
        assert client.post(f"/contracts/{contract.id}/sign", data={"signer_name": "X"}).status_code == status
    assert fresh(Contract, contract.id).signed_at is None
    assert outbox("staff_contract_signed") == []


@pytest.mark.csrf
def test_decisions_need_the_csrf_token(app, f):
    customer = f.make_customer()
    contact = f.make_contact(customer)
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/login"))).group(1)
    assert (
        client.post("/login", data={"email": contact.email, "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )
    estimate = f.make_estimate(customer)
    contract = f.make_contract(customer)
    proposal = f.make_proposal(customer)
    for url, data in (
        (f"/estimates/{estimate.id}/accept", {"signer_name": "Anna"}),
        (f"/estimates/{estimate.id}/decline", {}),
        (f"/contracts/{contract.id}/sign", {"signer_name": "Anna"}),
        (f"/proposals/{proposal.id}/accept", {"signer_name": "Anna"}),
        (f"/proposals/{proposal.id}/decline", {}),
        (f"/proposals/{proposal.id}/comments", {"body": "Hi"}),
    ):
        assert client.post(url, data=data).status_code == 400
    assert fresh(Estimate, estimate.id).status == "sent" and fresh(Contract, contract.id).signed_at is None
    assert fresh(Proposal, proposal.id).status == "open"
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0

    # The token from the page itself works.
    page = text(client.get(f"/contracts/{contract.id}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/contracts/{contract.id}/sign", data={"signer_name": "Anna", "csrf_token": token})
    assert response.status_code == 302 and fresh(Contract, contract.id).signed_at is not None
