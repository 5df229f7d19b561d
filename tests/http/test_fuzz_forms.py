"""Property-based fuzzing of the main forms, with CSRF protection on and a valid token.

Forms: portal login, forgot password, profile details, password change, notification
preferences, open ticket, ticket reply, estimate accept, contract sign, proposal comment,
company details; admin customer create, contact create and edit, invoice create, settings.

Each form is posted mostly valid with up to two fields hostile or missing, and sometimes
hostile throughout: unicode, control characters, CR/LF, strings of up to 20,000 characters,
numbers as strings (NaN, Infinity, -1, 1e309, huge integers), missing fields and extra fields
(customer_id, is_primary, permissions, another customer's ids). The properties:

- never a 5xx;
- a rejection (the form shown again with its errors, or 400, 403, 404, 413, 429) changes
  nothing: the row count and a hash of the rows of every table are the same before and after;
- an accepted submission changes only what the form may change (mass assignment), e.g. a
  ticket is opened for the contact's own customer, a profile edit never moves the contact.

NUL characters have their own test (``test_nul_character``, one case per form field), since
PostgreSQL cannot store them; so do line-item field names with odd indexes
(``test_sales_form_line_index``), both in test_fuzz_nul_inputs.py; the admin forms are fuzzed in
test_fuzz_admin_forms.py. Cases that show an app bug are marked xfail(strict=True).

Logins are throttled per account, so each test logs in once; the login fuzz itself raises the
limits first. Hypothesis runs derandomized with no example database, so a run is repeatable
and writes nothing to the repository; ``@example`` pins the nastiest inputs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.catalogs import NOTIFICATIONS
from core.extensions import db
from core.mail.outbox import one_line
from core.models import (
    TICKET_PRIORITIES,
    Contact,
    Contract,
    Customer,
    Estimate,
    OutboxEmail,
    ProposalComment,
    Ticket,
    TicketReply,
)
from tests.conftest import count
from tests.factories import PASSWORD
from tests.http.helpers.fuzz_forms import STRONG, contact_client, judge, post, resolve
from tests.http.helpers.fuzz_strategies import (
    EXTRA_KEYS,
    FUZZ,
    LIMITS,
    WEBSITES,
    extras,
    flags,
    form,
    nasty,
    numbers,
    sentence,
    upto,
    word,
)

pytestmark = pytest.mark.csrf


# -- portal: logged out -------------------------------------------------------------------------------

REDIRECTS = ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "%2F%2Fevil", " /x"]


@FUZZ
@given(
    data=form(
        {
            "email": st.sampled_from(["primary@acme.example", " PRIMARY@acme.example", "nobody@acme.example"]),
            "password": st.sampled_from([PASSWORD, "wrong password"]),
            "next": (st.sampled_from(["/invoices", "/tickets?status=open", ""]), st.sampled_from(REDIRECTS) | nasty),
        },
        extra=extras(["remember", "customer_id", "is_primary"]),
    )
)
@example(data={"email": "primary@acme.example", "password": PASSWORD, "next": "//evil.example"})
@example(data={"email": "x" * 20000, "password": "y" * 20000})
def test_login(app, fuzz_world, data):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = app.config["LOGIN_LIMIT_PER_IP"] = "10000 per minute"
    client = app.test_client()
    audit_before = db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_log"]))
    outcome = post(client, "/login", data, token_url="/login", exclude=("audit_log", "contacts"))
    judge(outcome)
    db.session.expire_all()
    audit_after = db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_log"]))
    assert audit_after - audit_before <= 1  # one login.succeeded or login.failed entry at most
    assert not outcome.changed, outcome.changed  # a login writes nothing but the audit log and last_login
    if outcome.status == 302:
        assert data.get("password") == PASSWORD
        assert urlsplit(outcome.location).path != "/login"


@FUZZ
@given(data=form({"email": st.sampled_from(["primary@acme.example", "nobody@acme.example", " Primary@ACME.example"])}))
@example(data={"email": "primary@acme.example\r\nBcc: evil@example.com"})
def test_forgot_password(app, fuzz_world, data):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = app.config["LOGIN_LIMIT_PER_IP"] = "10000 per minute"
    client = app.test_client()
    outcome = post(client, "/forgot-password", data, token_url="/forgot-password")
    judge(outcome)
    if outcome.status == 302 and data["email"].strip().lower() == "primary@acme.example":
        assert set(outcome.changed) <= {"email_outbox"}
        assert count(OutboxEmail, OutboxEmail.event == "password_reset") >= 1
    else:  # unknown address (or rejected): the same answer, and nothing is sent
        assert not outcome.changed, outcome.changed


# -- portal: the contact's own account ---------------------------------------------------------------

PROFILE = {"profile-first_name": upto(80), "profile-last_name": upto(80), "profile-phone": upto(40)}
PROFILE_EXTRAS = ["profile-email", "profile-customer_id", "profile-is_primary", "profile-active", *EXTRA_KEYS]


def _frozen(contact: Contact) -> tuple:
    """What the contact's own forms must never change."""
    return (contact.customer_id, contact.email, contact.is_primary, contact.active, contact.permissions)


@FUZZ
@given(data=form(PROFILE, extra=extras(PROFILE_EXTRAS)))
@example(data={"profile-first_name": "Ann\r\nBcc: x@evil.example", "profile-last_name": "Doe"})
@example(data={"profile-first_name": "A" * 20000, "profile-last_name": "Doe"})
@example(data={"profile-first_name": "Ann", "profile-last_name": "Doe", "customer_id": "$OTHER_CUSTOMER"})
def test_profile_details(app, fuzz_world, primary_client, data):
    contact = fuzz_world["primary"]
    old = db.session.get(Contact, contact.id)
    frozen, names = _frozen(old), (old.first_name, old.last_name)
    outcome = post(primary_client, "/profile", resolve(data, fuzz_world), token_url="/profile")
    judge(outcome)
    db.session.expire_all()
    me = db.session.get(Contact, contact.id)
    assert _frozen(me) == frozen
    if outcome.status == 302:
        assert set(outcome.changed) <= {"contacts"}
        # A field left out keeps its value; a posted one is stored stripped, never truncated.
        assert me.first_name == data.get("profile-first_name", names[0]).strip()
        assert me.last_name == data.get("profile-last_name", names[1]).strip()


@FUZZ
@given(
    data=form(
        {
            "password-current_password": st.just("$CURRENT"),
            "password-new_password": st.builds(lambda text: f"Zx9!{text}-Kestrel", word),
            "password-confirm": st.just("$SAME"),
        }
    )
)
@example(
    data={"password-current_password": "$CURRENT", "password-new_password": "x" * 20000, "password-confirm": "$SAME"}
)
@example(data={"password-current_password": "$CURRENT", "password-new_password": STRONG, "password-confirm": "$SAME"})
def test_password_change(app, fuzz_world, primary_client, data):
    state = fuzz_world.setdefault("password", PASSWORD)
    values = {**fuzz_world, "$CURRENT": state, "$SAME": data.get("password-new_password", "")}
    posted = resolve(data, values)
    outcome = post(primary_client, "/profile/password", posted, token_url="/profile")
    judge(outcome)
    if outcome.status == 302:
        assert set(outcome.changed) <= {"contacts", "email_outbox"}
        fuzz_world["password"] = posted["password-new_password"]


@pytest.fixture
def limited(app, fuzz_world, f):
    """A non-primary contact holding only Invoices and Support, logged in."""
    contact = f.make_contact(fuzz_world["a"], permissions={"invoices", "support"}, email="limited@acme.example")
    return contact, contact_client(app, contact.email)


@FUZZ
@given(
    data=form(
        {f"notify-{n.key}": flags for n in NOTIFICATIONS},
        extra=extras(["notify-admin", "permissions", "perm_projects", "notify_invoice", "customer_id", "is_primary"]),
    )
)
@example(data={f"notify-{n.key}": "y" for n in NOTIFICATIONS} | {"perm_projects": "y", "permissions": "projects"})
def test_notification_preferences(app, fuzz_world, limited, data):
    contact, client = limited
    allowed = {n.key for n in NOTIFICATIONS if n.permission in {"invoices", "support"}}
    outcome = post(client, "/profile/notifications", resolve(data, fuzz_world), token_url="/profile")
    judge(outcome)
    db.session.expire_all()
    me = db.session.get(Contact, contact.id)
    assert me.permissions == {"invoices", "support"} and not me.is_primary
    assert me.notifications <= allowed  # preferences never widen access
    if outcome.status == 302:
        assert set(outcome.changed) <= {"contact_notifications", "contacts"}


# -- portal: support ------------------------------------------------------------------------------------


@FUZZ
@given(
    data=form(
        {
            "subject": upto(200),
            "department": st.just("General"),
            "priority": st.sampled_from(TICKET_PRIORITIES),
            "project": (st.sampled_from(["0", "$PROJECT"]), st.sampled_from(["$OTHER_PROJECT", "-1"]) | numbers),
            "message": sentence,
            "submission_key": st.just("$FRESH_KEY"),
        }
    )
)
@example(
    data={
        "subject": "Help",
        "department": "General",
        "message": "x",
        "project": "$OTHER_PROJECT",
        "submission_key": "$FRESH_KEY",
    }
)
@example(
    data={
        "subject": "Help",
        "department": "General",
        "message": "y" * 20000,
        "submission_key": "$FRESH_KEY",
        "project": "\u00b2",
    }
)
@example(
    data={
        "subject": "Help",
        "department": "General",
        "message": "z",
        "submission_key": "$FRESH_KEY",
        "customer_id": "$OTHER_CUSTOMER",
        "contact_id": "$OTHER_CONTACT",
    }
)
def test_open_ticket(app, fuzz_world, primary_client, data):
    me = fuzz_world["primary"]
    tickets_before = count(Ticket)
    outcome = post(primary_client, "/tickets/new", resolve(data, fuzz_world), token_url="/tickets/new")
    judge(outcome)
    if outcome.status == 302 and count(Ticket) > tickets_before:
        assert count(Ticket) == tickets_before + 1
        ticket = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert (ticket.customer_id, ticket.contact_id, ticket.status) == (me.customer_id, me.id, "open")
        assert ticket.project_id in (None, int(fuzz_world["$PROJECT"]))
        assert ticket.subject == data["subject"].strip()


@FUZZ
@given(data=form({"message": sentence}, extra=extras(["staff_id", "ticket_id", "contact_id", "status", "customer_id"])))
@example(data={"message": "x" * 20001})
@example(data={"message": "ok", "staff_id": "1", "contact_id": "$OTHER_CONTACT"})
def test_ticket_reply(app, fuzz_world, primary_client, own_ticket, data):
    url = f"/tickets/{own_ticket.id}/reply"
    replies_before = count(TicketReply)
    outcome = post(primary_client, url, resolve(data, fuzz_world), token_url=f"/tickets/{own_ticket.id}")
    judge(outcome)
    if count(TicketReply) > replies_before:
        reply = db.session.scalars(select(TicketReply).order_by(TicketReply.id.desc())).first()
        assert (reply.ticket_id, reply.contact_id, reply.staff_id) == (own_ticket.id, fuzz_world["primary"].id, None)


# -- portal: decisions and comments ---------------------------------------------------------------------

DECISION_EXTRAS = ["status", "decided_ip", "signer_ip", "customer_id", "signed_at", "decided_at", "invoice_id"]


@FUZZ
@given(
    target=st.sampled_from(["own", "own", "own", "foreign"]),
    data=form({"signer_name": upto(160)}, extra=extras(DECISION_EXTRAS)),
)
@example(target="own", data={"signer_name": "Ann\r\nDoe"})
@example(target="foreign", data={"signer_name": "Ann Doe"})
def test_estimate_accept(app, f, fuzz_world, primary_client, target, data):
    estimate = f.make_estimate(fuzz_world["a"] if target == "own" else fuzz_world["b"], status="sent")
    url = f"/estimates/{estimate.id}/accept"
    outcome = post(primary_client, url, resolve(data, fuzz_world), token_url="/profile")
    judge(outcome)
    db.session.expire_all()
    estimate = db.session.get(Estimate, estimate.id)
    if target == "foreign":
        assert outcome.status == 404 and estimate.status == "sent"
    elif outcome.status == 302:
        assert estimate.status == "accepted"
        assert estimate.signer_name == one_line(data["signer_name"])
        assert estimate.customer_id == fuzz_world["a"].id


@FUZZ
@given(
    target=st.sampled_from(["own", "own", "own", "foreign"]),
    data=form({"signer_name": upto(160)}, extra=extras(DECISION_EXTRAS)),
)
@example(target="own", data={"signer_name": "N" * 161})
@example(target="foreign", data={"signer_name": "Ann Doe"})
def test_contract_sign(app, f, fuzz_world, primary_client, target, data):
    contract = f.make_contract(fuzz_world["a"] if target == "own" else fuzz_world["b"], subject="Maintenance")
    url = f"/contracts/{contract.id}/sign"
    outcome = post(primary_client, url, resolve(data, fuzz_world), token_url="/profile")
    judge(outcome)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    if target == "foreign":
        assert outcome.status == 404 and contract.signed_at is None
    elif outcome.status == 302:
        assert contract.signed_at is not None
        assert contract.signer_name == one_line(data["signer_name"])


@FUZZ
@given(data=form({"body": sentence}, extra=extras(["staff_id", "proposal_id", "contact_id", "form_token"])))
@example(data={"body": "x" * 5001})
@example(data={"body": "fine", "staff_id": "1"})
def test_proposal_comment(app, fuzz_world, primary_client, own_proposal, data):
    before = count(ProposalComment)
    url = f"/proposals/{own_proposal.id}/comments"
    outcome = post(primary_client, url, resolve(data, fuzz_world), token_url=f"/proposals/{own_proposal.id}")
    judge(outcome)
    if count(ProposalComment) > before:
        comment = db.session.scalars(select(ProposalComment).order_by(ProposalComment.id.desc())).first()
        assert (comment.proposal_id, comment.contact_id, comment.staff_id) == (
            own_proposal.id,
            fuzz_world["primary"].id,
            None,
        )


COMPANY = {name: upto(limit) for name, limit in LIMITS.items()} | {
    "website": WEBSITES,
    "version": (st.just("$VERSION"), numbers),
}


@FUZZ
@given(data=form(COMPANY, extra=extras(["company", "currency", "active", "customer_id", "id", "is_primary"])))
@example(data={"address": "x" * 20000, "version": "$VERSION"})
@example(data={"city": "Ulm", "version": "9" * 5000})
@example(data={"city": "Ulm", "version": "$VERSION", "company": "Evil Corp", "currency": "XXX", "active": ""})
def test_company_details(app, fuzz_world, primary_client, data):
    customer_id = fuzz_world["a"].id
    db.session.expire_all()
    before = db.session.get(Customer, customer_id)
    frozen = (before.company, before.currency, before.active)
    values = {**fuzz_world, "$VERSION": str(before.version)}
    outcome = post(primary_client, "/company", resolve(data, values), token_url="/company")
    judge(outcome)
    db.session.expire_all()
    after = db.session.get(Customer, customer_id)
    assert (after.company, after.currency, after.active) == frozen
    if outcome.status == 302:
        assert set(outcome.changed) <= {"customers", "audit_log"}
