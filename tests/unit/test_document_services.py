"""The sales document services without HTTP: numbering, retries, conversion races, rules."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.extensions import db
from core.models import Estimate, Invoice, StaffUser
from core.services import ServiceError, numbering
from core.services.documents import (
    LineData,
    SalesData,
    allowed_statuses,
    clean_lines,
    convert_estimate,
    create_sales_document,
    document_search,
    update_sales_document,
)
from core.services.documents import sales as sales_service

INVOICE = DOCUMENT_KINDS_BY_KEY["invoice"]
TODAY = date.today()
YEAR = TODAY.year


def data(**overrides) -> SalesData:
    values = {"date": TODAY, "status": "draft", "lines": [LineData("Work", Decimal("1"), Decimal("10"))]}
    return SalesData(**(values | overrides))


def invoice_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Invoice))


def test_next_number_follows_the_highest_numeric_one_of_its_prefix_and_year(f):
    customer = f.make_customer()
    assert numbering.next_number(INVOICE, YEAR) == f"INV-{YEAR}-0001"
    for number in (f"INV-{YEAR}-0001", f"INV-{YEAR}-0007", f"INV-{YEAR}-x99", f"INV-{YEAR - 1}-0042", "INV-T00001"):
        f.make_invoice(customer, number=number)
    assert numbering.next_number(INVOICE, YEAR) == f"INV-{YEAR}-0008"  # gaps are not refilled
    assert numbering.next_number(INVOICE, YEAR - 1) == f"INV-{YEAR - 1}-0043"
    f.make_invoice(customer, number=f"INV-{YEAR}-9999")
    f.make_invoice(customer, number=f"INV-{YEAR}-10000")
    assert numbering.next_number(INVOICE, YEAR) == f"INV-{YEAR}-10001"  # 10000 > 9999 despite sorting as text


def test_a_number_clash_is_retried_with_the_next_number(f, monkeypatch):
    customer, staff = f.make_customer(), f.make_staff()
    taken = f.make_invoice(customer, number=f"INV-{YEAR}-0001")
    real_next = numbering.next_number
    calls = []

    def racing_next_number(kind, year):
        calls.append(1)
        # The first attempt computes the number another request already took meanwhile.
        return taken.number if len(calls) == 1 else real_next(kind, year)

    monkeypatch.setattr(sales_service, "next_number", racing_next_number)
    invoice = create_sales_document("invoice", customer.id, data(), actor=staff)
    assert invoice.number == f"INV-{YEAR}-0002" and len(calls) == 2
    assert invoice_count() == 2


def test_endless_clashes_end_in_a_message_not_a_crash(f, monkeypatch):
    customer, staff = f.make_customer(), f.make_staff()
    taken = f.make_invoice(customer, number=f"INV-{YEAR}-0001")
    monkeypatch.setattr(sales_service, "next_number", lambda *args: taken.number)
    with pytest.raises(ServiceError, match="same number"):
        create_sales_document("invoice", customer.id, data(), actor=staff)
    assert invoice_count() == 1


def test_a_conversion_racing_another_one_returns_the_other_invoice(f, monkeypatch):
    customer, staff = f.make_customer(), f.make_staff()
    estimate = f.make_estimate(customer, status="accepted")
    winner = f.make_invoice(customer, status="draft", number=f"INV-{YEAR}-0001")
    estimate_id, winner_id = estimate.id, winner.id
    real_next = numbering.next_number

    def other_request_wins(kind, year):
        # Between our "not converted yet" check and our link, another request links its invoice.
        with db.engine.begin() as connection:
            connection.execute(update(Estimate).where(Estimate.id == estimate_id).values(invoice_id=winner_id))
        return real_next(kind, year)

    monkeypatch.setattr(sales_service, "next_number", other_request_wins)
    invoice = convert_estimate(estimate, actor=staff)
    assert invoice.id == winner_id
    assert invoice_count() == 1  # our own invoice was rolled back


def test_conversion_is_idempotent_and_copies_the_estimate(f):
    customer, staff = f.make_customer(), f.make_staff()
    estimate = f.make_estimate(customer, status="accepted")
    first = convert_estimate(estimate, actor=staff)
    again = convert_estimate(estimate, actor=staff)
    assert first.id == again.id and invoice_count() == 1
    assert (first.status, first.total, first.customer_id) == ("draft", estimate.total, customer.id)
    assert first.due_date == TODAY + timedelta(days=sales_service.CONVERTED_INVOICE_DUE_DAYS)


def test_clean_lines_explains_each_problem():
    good = LineData("  Work  ", Decimal("1.005"), Decimal("10"), Decimal("7"))
    assert clean_lines([good]) == [LineData("Work", Decimal("1.00"), Decimal("10.00"), Decimal("7.00"))]
    problems = {
        "Add at least one line item": [],
        "Line 1: description is required.": [LineData(" ", Decimal(1), Decimal(1))],
        "Line 1: description is too long (10,000 characters); use at most 255.": [
            LineData("x" * 10_000, Decimal(1), Decimal(1))
        ],
        "Line 2: quantity must be between 0.01 and 1,000,000.": [good, LineData("a", Decimal("0"), Decimal(1))],
        "Line 1: unit price must be a number": [LineData("a", Decimal(1), "abc")],
        "Line 1: unit price must be between": [LineData("a", Decimal(1), Decimal("NaN"))],
        "Line 1: tax % must be between 0 and 100.": [LineData("a", Decimal(1), Decimal(1), Decimal("100.01"))],
        "at most 100 line items": [good] * 101,
    }
    for message, lines in problems.items():
        with pytest.raises(ServiceError, match=message.replace("(", r"\(").replace(")", r"\)").replace("%", "%")):
            clean_lines(lines)


def test_service_rules_hold_without_the_forms(f):
    acme, globex, staff = f.make_customer(), f.make_customer(), f.make_staff()
    foreign_project = f.make_project(globex)
    with pytest.raises(ServiceError, match="Choose a customer"):
        create_sales_document("invoice", None, data(), actor=staff)
    with pytest.raises(ServiceError, match="does not exist"):
        create_sales_document("invoice", 2**31 - 1, data(), actor=staff)
    with pytest.raises(ServiceError, match="another customer"):
        create_sales_document("invoice", acme.id, data(project_id=foreign_project.id), actor=staff)
    with pytest.raises(ServiceError, match="set by recording payments"):
        create_sales_document("invoice", acme.id, data(status="paid"), actor=staff)
    with pytest.raises(ServiceError, match="another customer"):
        create_sales_document(
            "credit_note", acme.id, data(status="open", invoice_id=f.make_invoice(globex).id), actor=staff
        )
    assert invoice_count() == 1
    invoice = create_sales_document("invoice", acme.id, data(discount=Decimal("2")), actor=staff)
    assert invoice.total == Decimal("8.00") and invoice.currency == acme.currency
    with pytest.raises(ServiceError, match="paid"):
        update_sales_document(invoice, data(status="partially_paid"), actor=staff)
    update_sales_document(invoice, data(status="cancelled", discount=Decimal("2")), actor=staff)
    with pytest.raises(ServiceError, match="cancelled; its line items"):
        update_sales_document(invoice, data(status="cancelled", discount=Decimal("1")), actor=staff)
    # Reopening a cancelled invoice with its lines unchanged is allowed; then the lines are editable again.
    update_sales_document(invoice, data(status="draft", discount=Decimal("2")), actor=staff)
    update_sales_document(invoice, data(status="draft", discount=Decimal("1")), actor=staff)
    assert invoice.total == Decimal("9.00")


def test_status_choices_follow_the_payments(f):
    invoice = f.make_invoice(f.make_customer(), status="unpaid")
    assert allowed_statuses("invoice") == ("draft", "unpaid")
    assert allowed_statuses("invoice", invoice) == ("draft", "unpaid", "cancelled")
    invoice.amount_paid, invoice.status = Decimal("1"), "partially_paid"
    assert allowed_statuses("invoice", invoice) == ("partially_paid",)
    assert allowed_statuses("estimate") == ("draft", "sent")


def test_overdue_filter_matches_the_model_rule(f):
    customer = f.make_customer()
    due = f.make_invoice(customer, due_in_days=-1)
    f.make_invoice(customer, due_in_days=0)
    f.make_invoice(customer, status="paid", due_in_days=-9)
    f.make_invoice(customer, status="draft", due_in_days=-9)
    found = db.session.scalars(document_search(INVOICE, status="overdue", today=TODAY)).all()
    assert [i.id for i in found] == [due.id]
    everything = db.session.scalars(select(Invoice)).all()
    assert [i.id for i in everything if i.is_overdue(TODAY)] == [due.id]


def run_in_parallel(app, work, arguments) -> list[Exception]:
    """Run ``work(staff, argument)`` in one thread (own app context and session) per argument."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the clash paths are covered by the tests above")
    staff_id = db.session.scalar(select(StaffUser.id))
    errors, barrier = [], threading.Barrier(len(arguments))

    def run(argument):
        with app.app_context():
            try:
                staff = db.session.get(StaffUser, staff_id)
                barrier.wait()
                work(staff, argument)
            except Exception as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_parallel_creations_get_distinct_sequential_numbers(app, f):
    f.make_staff()
    customer_ids = [f.make_customer().id for _ in range(6)]
    errors = run_in_parallel(
        app, lambda staff, cid: create_sales_document("invoice", cid, data(), actor=staff), customer_ids
    )
    assert not errors
    numbers = sorted(db.session.scalars(select(Invoice.number)))
    assert numbers == [f"INV-{YEAR}-{n:04d}" for n in range(1, 7)]


def test_parallel_conversions_make_one_invoice(app, f):
    f.make_staff()
    estimate_id = f.make_estimate(f.make_customer(), status="accepted").id
    made = []

    def convert(staff, _):
        made.append(convert_estimate(db.session.get(Estimate, estimate_id), actor=staff).id)

    assert not run_in_parallel(app, convert, range(5))
    assert invoice_count() == 1 and len(set(made)) == 1 and len(made) == 5
