"""Paying an invoice by bank transfer: the company's account and a GiroCode (EPC QR code,
EPC069-12) on the invoice page and in its PDF, for open EUR invoices with a balance due once
the IBAN is set; the account is edited on the admin settings page.

The codes are read as a banking app would: the PNG the page serves, and the PDF's page
rendered to an image, decoded by ZBar (``tests/qr_codes.py``).
"""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import event

from core.document_kinds import DOCUMENT_KINDS_BY_KEY
from core.extensions import db
from core.pdf import pdf_cache
from core.services.bank_details import BankDetails, bank_details
from core.services.reminders import REMINDER_SETTINGS
from core.services.sending import send_document
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, get_setting, set_settings
from tests import factories
from tests.conftest import login, text
from tests.http.test_query_counts import BENCHMARKED
from tests.pdf_streams import pdf_streams
from tests.qr_codes import decode_pdf_page, decode_png

TODAY = date.today()
ACCOUNT = BankDetails("Northwind Services GmbH", "DE89370400440532013000", "COBADEFFXXX")
GROUPED_IBAN = "DE89 3704 0044 0532 0130 00"
_QR_IMAGE = re.compile(r'<img class="girocode" src="data:image/png;base64,([^"]+)"[^>]*alt="([^"]+)"')


def epc_payload(amount: str, reference: str, account: BankDetails = ACCOUNT) -> str:
    """What EPC069-12 (version 002, UTF-8) puts in the code, line by line."""
    lines = ["BCD", "002", "1", "SCT", account.bic, account.account_holder, account.iban, amount, "", "", reference]
    return "\n".join(lines)


@pytest.fixture
def bank_account(app):
    set_settings(ACCOUNT.as_settings())
    pdf_cache.clear()
    yield ACCOUNT
    pdf_cache.clear()


@pytest.fixture
def acme(app, f):
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer)
    client = app.test_client()
    assert login(client, contact).status_code == 302
    return customer, client


def invoice(customer, number="INV-BANK-1", total="119.00", **options):
    issued = TODAY - timedelta(days=1)
    return factories.make_priced_invoice(
        customer, number=number, total=total, issued=issued, due=issued + timedelta(days=14), **options
    )


def girocode_on(page: str) -> tuple[str, str] | None:
    """The decoded GiroCode shown on ``page`` and its alt text, or None without one."""
    found = _QR_IMAGE.search(page)
    if found is None:
        return None
    codes = decode_png(base64.b64decode(found.group(1)))
    assert len(codes) == 1, codes
    return codes[0], unescape(found.group(2))


def pdf_text(pdf: bytes) -> str:
    shown = []
    for raw in pdf_streams(pdf):
        shown += [m.decode("cp1252", "replace") for m in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", raw)]
    return "\n".join(shown)


# -- the invoice page ------------------------------------------------------------------------------


def test_open_eur_invoice_shows_the_account_and_a_girocode_that_decodes_to_the_transfer(acme, bank_account):
    customer, client = acme
    inv = invoice(customer)
    page = text(client.get(f"/invoices/{inv.id}"))
    assert 'data-testid="bank-transfer"' in page
    for shown in ("Pay by bank transfer", ACCOUNT.account_holder, GROUPED_IBAN, ACCOUNT.bic, "119.00 EUR", inv.number):
        assert shown in page
    payload, alt = girocode_on(page)
    assert payload == epc_payload("EUR119.00", inv.number)
    assert alt == "GiroCode for bank transfer of 119.00 EUR"


def test_a_partly_paid_invoice_asks_for_the_balance(acme, bank_account):
    customer, client = acme
    inv = invoice(customer, total="119.00", paid=[("19.50", TODAY)], status="partially_paid")
    payload, alt = girocode_on(text(client.get(f"/invoices/{inv.id}")))
    assert payload == epc_payload("EUR99.50", inv.number)
    assert alt.endswith("99.50 EUR")


def test_in_german_the_amount_and_alt_text_use_german_money(app, f, bank_account):
    customer = f.make_customer("Acme")
    client = app.test_client()
    assert login(client, f.make_contact(customer, language="de")).status_code == 302
    inv = invoice(customer, total="1234.50")
    page = text(client.get(f"/invoices/{inv.id}"))
    assert "Zahlung per Überweisung" in page and "1.234,50\xa0€" in page
    payload, alt = girocode_on(page)
    assert alt == "GiroCode für die Überweisung von 1.234,50\xa0€"
    assert payload == epc_payload("EUR1234.50", inv.number)


@pytest.mark.parametrize(
    "case",
    ["usd", "paid", "cancelled", "no iban"],
)
def test_no_bank_transfer_without_an_open_eur_balance_or_an_iban(acme, bank_account, case):
    customer, client = acme
    if case == "usd":
        inv = invoice(customer, currency="USD")
    elif case == "paid":
        inv = invoice(customer, paid=[("119.00", TODAY)], status="paid")
    elif case == "cancelled":
        inv = invoice(customer, status="cancelled")
    else:
        set_settings({**ACCOUNT.as_settings(), "bank_iban": ""})
        inv = invoice(customer)
    page = client.get(f"/invoices/{inv.id}")
    assert page.status_code == 200
    assert 'data-testid="bank-transfer"' not in text(page) and "GiroCode" not in text(page)
    pdf = client.get(f"/invoices/{inv.id}/pdf").data
    assert "Pay by bank transfer" not in pdf_text(pdf)
    assert decode_pdf_page(pdf) == []


def test_drafts_and_other_customers_invoices_are_404_and_projects_only_contacts_403(app, f, acme, bank_account):
    customer, client = acme
    draft = invoice(customer, number="INV-DRAFT", status="draft")
    foreign = invoice(f.make_customer("Globex"), number="INV-FOREIGN")
    for inv in (draft, foreign):
        assert client.get(f"/invoices/{inv.id}").status_code == 404
        assert client.get(f"/invoices/{inv.id}/pdf").status_code == 404
    projects_only = app.test_client()
    assert login(projects_only, f.make_contact(customer, permissions={"projects"})).status_code == 302
    mine = invoice(customer, number="INV-MINE")
    for url in (f"/invoices/{mine.id}", f"/invoices/{mine.id}/pdf"):
        response = projects_only.get(url)
        assert response.status_code == 403 and ACCOUNT.iban not in text(response)


def test_the_page_with_the_girocode_runs_no_extra_statement(app, acme, bank_account):
    """The account is read in the invoice's own query: the benchmarked count stands."""
    customer, client = acme
    inv = invoice(customer)
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = text(client.get(f"/invoices/{inv.id}"))
        page_statements = len(statements)
        statements.clear()
        client.get(f"/invoices/{inv.id}/pdf")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert girocode_on(page) is not None
    assert page_statements == BENCHMARKED["portal.invoices.detail"]
    assert len(statements) == BENCHMARKED["portal.invoices.invoice_pdf"]


# -- the PDF ---------------------------------------------------------------------------------------


def test_the_pdf_shows_the_account_and_a_girocode_that_decodes_to_the_transfer(acme, bank_account):
    customer, client = acme
    inv = invoice(customer)
    pdf = client.get(f"/invoices/{inv.id}/pdf").data
    shown = pdf_text(pdf)
    for expected in ("Pay by bank transfer", ACCOUNT.account_holder, GROUPED_IBAN, ACCOUNT.bic, inv.number):
        assert expected in shown
    assert decode_pdf_page(pdf) == [epc_payload("EUR119.00", inv.number)]


def test_a_changed_account_is_never_served_from_the_pdf_cache(acme, bank_account):
    customer, client = acme
    inv = invoice(customer)
    assert decode_pdf_page(client.get(f"/invoices/{inv.id}/pdf").data) == [epc_payload("EUR119.00", inv.number)]
    other = BankDetails("Northwind Services GmbH", "FR7630006000011234567890189", "AGRIFRPP")
    set_settings(other.as_settings())
    pdf = client.get(f"/invoices/{inv.id}/pdf").data
    assert decode_pdf_page(pdf) == [epc_payload("EUR119.00", inv.number, other)]
    assert "FR76 3000 6000 0112 3456 7890 189" in pdf_text(pdf)


# -- the admin settings ----------------------------------------------------------------------------


@pytest.fixture
def settings_form(app):
    """A valid settings form without bank details (the reminders' fields are required)."""
    return {key: "3" for key in REMINDER_SETTINGS}


def test_staff_store_the_account_normalised(admin_client, settings_form):
    posted = {"bank_account_holder": "  Northwind   Services GmbH ", "bank_iban": "de89 3704 0044 0532 0130 00"}
    response = admin_client.post("/admin/settings", data={**settings_form, **posted, "bank_bic": "cobade ffxxx"})
    assert response.status_code == 302
    assert bank_details() == ACCOUNT
    page = text(admin_client.get("/admin/settings"))
    assert 'value="DE89370400440532013000"' in page and 'value="COBADEFFXXX"' in page


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"bank_iban": "DE89 3704 0044 0532 0130 01"}, "check digits do not match"),
        ({"bank_iban": "DE89 3704 0044 0532 0130"}, "An IBAN from DE has 22 characters; this one has 20."),
        ({"bank_iban": "3704 0044 0532 0130 00"}, "An IBAN starts with a two-letter country code"),
        ({"bank_iban": "DE89-3704-0044-0532-0130-00"}, "An IBAN starts with a two-letter country code"),
        ({"bank_bic": "COBADE"}, "A BIC has 8 or 11 letters and digits"),
        ({"bank_bic": "COBA-DE-FF"}, "A BIC has 8 or 11 letters and digits"),
        ({"bank_account_holder": ""}, "Enter the account holder"),
        ({"bank_account_holder": "N" * 71}, "70"),
    ],
)
def test_bad_bank_details_are_refused_with_a_message_and_change_nothing(
    app, admin_client, settings_form, bank_account, posted, message
):
    before = {key: get_setting(key) for key in (*ACCOUNT.as_settings(), CONTACTS_SEE_ALL_TICKETS)}
    form = {**settings_form, **ACCOUNT.as_settings(), CONTACTS_SEE_ALL_TICKETS: "y", **posted}
    response = admin_client.post("/admin/settings", data=form)
    assert response.status_code == 200
    assert message in unescape(text(response))
    db.session.expire_all()
    assert {key: get_setting(key) for key in before} == before


def test_an_empty_iban_turns_bank_transfer_off(acme, admin_client, settings_form, bank_account):
    customer, client = acme
    inv = invoice(customer)
    assert girocode_on(text(client.get(f"/invoices/{inv.id}"))) is not None
    form = {**settings_form, "bank_account_holder": "", "bank_iban": " ", "bank_bic": ""}
    assert admin_client.post("/admin/settings", data=form).status_code == 302
    assert bank_details() == BankDetails()
    assert 'data-testid="bank-transfer"' not in text(client.get(f"/invoices/{inv.id}"))


def test_a_draft_invoice_sent_by_email_carries_the_girocode_in_its_pdf(app, f, bank_account):
    """The PDF is made once the invoice is sent (unpaid), so it offers the bank transfer."""
    customer = f.make_customer("Acme")
    contact = f.make_contact(customer)
    draft = invoice(customer, number="INV-SENT", status="draft")
    (email,) = send_document(DOCUMENT_KINDS_BY_KEY["invoice"], draft, {contact.id})
    (attachment,) = email.attachments
    assert "Unpaid" in pdf_text(attachment.data) and "Draft" not in pdf_text(attachment.data)
    assert decode_pdf_page(attachment.data) == [epc_payload("EUR119.00", "INV-SENT")]
