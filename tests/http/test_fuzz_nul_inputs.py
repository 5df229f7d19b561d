"""Inputs that broke the app, each on its own: a NUL character in every text field of the main
forms, and crafted line indices in a sales form; CSRF protection on."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.http.helpers.fuzz_forms import GOOD_INVOICE, GOOD_SETTINGS, STRONG, judge, post, resolve

pytestmark = pytest.mark.csrf


# -- inputs that broke the app, each on its own ---------------------------------------------------------


@pytest.fixture
def targets(fuzz_world, f, own_ticket, own_proposal, colleague):
    """Objects the NUL cases post to, by placeholder name."""
    return {
        "ticket": own_ticket.id,
        "proposal": own_proposal.id,
        "estimate": f.make_estimate(fuzz_world["a"], status="sent").id,
        "contract": f.make_contract(fuzz_world["a"]).id,
        "customer": fuzz_world["a"].id,
        "colleague": colleague.id,
        "version": colleague.version,
    }


# (case id, who posts, URL, the page with the form, a valid form, the field that gets a NUL)
NUL_CASES = [
    ("login-email", "nobody", "/login", "/login", {"email": "primary@acme.example", "password": "x"}, "email"),
    ("login-password", "nobody", "/login", "/login", {"email": "primary@acme.example", "password": "x"}, "password"),
    ("forgot-email", "nobody", "/forgot-password", "/forgot-password", {"email": "primary@acme.example"}, "email"),
    (
        "profile-name",
        "contact",
        "/profile",
        "/profile",
        {"profile-first_name": "A", "profile-last_name": "B"},
        "profile-first_name",
    ),
    (
        "password-new",
        "contact",
        "/profile/password",
        "/profile",
        {"password-current_password": PASSWORD, "password-new_password": STRONG, "password-confirm": STRONG},
        "password-new_password",
    ),
    (
        "ticket-subject",
        "contact",
        "/tickets/new",
        "/tickets/new",
        {"subject": "S", "message": "M", "department": "General", "submission_key": "$FRESH_KEY"},
        "subject",
    ),
    (
        "ticket-message",
        "contact",
        "/tickets/new",
        "/tickets/new",
        {"subject": "S", "message": "M", "department": "General", "submission_key": "$FRESH_KEY"},
        "message",
    ),
    ("ticket-reply", "contact", "/tickets/{ticket}/reply", "/tickets/{ticket}", {"message": "M"}, "message"),
    (
        "estimate-accept",
        "contact",
        "/estimates/{estimate}/accept",
        "/profile",
        {"signer_name": "Ann Doe"},
        "signer_name",
    ),
    ("contract-sign", "contact", "/contracts/{contract}/sign", "/profile", {"signer_name": "Ann Doe"}, "signer_name"),
    ("proposal-comment", "contact", "/proposals/{proposal}/comments", "/proposals/{proposal}", {"body": "B"}, "body"),
    ("company-vat", "contact", "/company", "/company", {"vat_number": "DE1", "city": "Ulm"}, "vat_number"),
    (
        "customer-company",
        "staff",
        "/admin/customers/new",
        "/admin/customers/new",
        {"company": "C", "currency": "EUR"},
        "company",
    ),
    (
        "contact-create-name",
        "staff",
        "/admin/customers/{customer}/contacts/new",
        "/admin/customers/{customer}/contacts/new",
        {"first_name": "A", "last_name": "B", "email": "$FRESH_EMAIL", "active": "y"},
        "first_name",
    ),
    (
        "contact-create-email",
        "staff",
        "/admin/customers/{customer}/contacts/new",
        "/admin/customers/{customer}/contacts/new",
        {"first_name": "A", "last_name": "B", "email": "$FRESH_EMAIL", "active": "y"},
        "email",
    ),
    (
        "contact-edit-position",
        "staff",
        "/admin/contacts/{colleague}/edit",
        "/admin/contacts/{colleague}/edit",
        {"first_name": "A", "last_name": "B", "email": "colleague@acme.example", "active": "y", "version": "{version}"},
        "position",
    ),
    ("invoice-line", "staff", "/admin/invoices/new", "/admin/invoices/new", GOOD_INVOICE, "lines-0-description"),
    ("invoice-notes", "staff", "/admin/invoices/new", "/admin/invoices/new", GOOD_INVOICE, "notes"),
    ("settings-number", "staff", "/admin/settings", "/admin/settings", GOOD_SETTINGS, "due_soon_days_before"),
]


def _nul_params():
    for case_id, who, url, page, valid, name in NUL_CASES:
        yield pytest.param(who, url, page, valid, name, id=case_id)


@pytest.mark.parametrize(("who", "url", "page", "valid", "name"), list(_nul_params()))
def test_nul_character(app, fuzz_world, primary_client, fuzz_staff, targets, who, url, page, valid, name):
    """A NUL character in a text field is a clean rejection (or stored), never a server error."""
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = app.config["LOGIN_LIMIT_PER_IP"] = "10000 per minute"
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see the 500 a visitor would get
    client = {"nobody": app.test_client(), "contact": primary_client, "staff": fuzz_staff}[who]
    data = {key: value.format(**targets) for key, value in resolve(valid, fuzz_world).items()}
    data[name] = f"a\x00{data.get(name, 'b')}"
    exclude = ("audit_log",) if url == "/login" else ()  # a failed login is audited, as it must be
    outcome = post(client, url.format(**targets), data, token_url=page.format(**targets), exclude=exclude)
    judge(outcome, success=(302,))


@pytest.mark.parametrize(
    "name", ["lines-\u00b2-description", "lines-" + "9" * 5000 + "-description"], ids=["superscript", "huge"]
)
def test_sales_form_line_index(app, fuzz_world, fuzz_staff, name):
    outcome = post(
        fuzz_staff,
        "/admin/invoices/new",
        resolve(GOOD_INVOICE | {name: "x"}, fuzz_world),
        token_url="/admin/invoices/new",
    )
    judge(outcome)
