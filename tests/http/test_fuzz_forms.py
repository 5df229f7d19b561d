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
(``test_sales_form_line_index``). Cases that show an app bug are marked xfail(strict=True).

Logins are throttled per account, so each test logs in once; the login fuzz itself raises the
limits first. Hypothesis runs derandomized with no example database, so a run is repeatable
and writes nothing to the repository; ``@example`` pins the nastiest inputs.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy import func, select

from core.catalogs import NOTIFICATIONS, PERMISSION_KEYS, PERMISSIONS
from core.extensions import db
from core.mail.outbox import one_line
from core.models import (
    TICKET_PRIORITIES,
    Contact,
    Contract,
    Customer,
    Estimate,
    Invoice,
    OutboxEmail,
    ProposalComment,
    Setting,
    Ticket,
    TicketReply,
)
from core.services.documents.common import MAX_AMOUNT
from core.services.reminders import REMINDER_SETTINGS
from tests.factories import PASSWORD

from .attack_helpers import changed_tables, login_contact, login_staff, snapshot, token_from

pytestmark = pytest.mark.csrf

# Hypothesis caches (unicode tables, constants) go to the temporary directory, not the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "portal-tests-hypothesis")

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REJECTED = {200, 400, 403, 404, 413, 429}
STRONG = "Kestrel-Orbit-2041!"

# -- strategies ------------------------------------------------------------------------------------

NUMBERS = [
    "NaN",
    "-nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "-1e309",
    "1e-400",
    "-1",
    "0",
    "-0",
    "1" + "0" * 40,
    "9" * 5000,
    "0x1A",
    "1_000",
    " 12 ",
    "1,5",
    "\u0661\u0662",  # Arabic-Indic digits 12
    "\u00b2",  # superscript two: isdigit() but not int()
    "12.345678901234567890",
    "2147483648",
    "-2147483649",
]
SPECIAL = [
    "\r\n",
    "x\r\nBcc: evil@example.com",
    "\u202eevil",
    "\ufeff",
    "\u2028",
    "\U0001d518\U0001d52b",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "%s%n%x",
    "../../etc/passwd",
    " ",
    "\t",
    "null",
    "None",
    "true",
    "[]",
]
CHUNKS = ["a", "\u00e9", "\U0001d518", " ", "\x01", "ab\r\n", "<>\"'&", "9"]

long_text = st.builds(lambda chunk, n: (chunk * n)[:20000], st.sampled_from(CHUNKS), st.integers(0, 20000))
# NUL is left out here: it has its own test (``test_nul_character``), as PostgreSQL cannot store it.
any_text = st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=60)
control_text = st.text(
    alphabet=st.characters(min_codepoint=1, max_codepoint=0x1F) | st.sampled_from("\x7f\x85 ab"), max_size=20
)
nasty = st.one_of(
    any_text,
    control_text,
    st.sampled_from(SPECIAL + NUMBERS),
    long_text,
    st.integers().map(str),
    st.floats().map(str),
)
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers().map(str), st.floats().map(str), st.decimals().map(str))
flags = st.sampled_from(["y", "on", "1", "0", "false", "", "n"])
EXTRA_KEYS = [
    "customer_id",
    "contact_id",
    "is_primary",
    "permissions",
    "perm_invoices",
    "perm_projects",
    "notify_invoice",
    "active",
    "company",
    "currency",
    "email",
    "version",
    "status",
    "staff_id",
    "id",
]


def extras(keys=EXTRA_KEYS, values=None):
    """Extra posted fields a form does not have (their values may name another customer's ids)."""
    if values is None:
        values = st.one_of(flags, nasty, st.sampled_from(["$OTHER_CUSTOMER", "$OTHER_CONTACT", "1", "2"]))
    return st.dictionaries(st.sampled_from(keys), values, max_size=4)


@st.composite
def form(draw, fields: dict, extra=None):
    """A posted form. ``fields`` maps a name to a strategy of valid values, or to a pair (valid,
    hostile); hostile defaults to ``nasty``. Mostly a valid form with up to two fields hostile
    or missing (often none, so the accepted path and its mass-assignment checks run too),
    sometimes every field anything; then the extra fields."""
    specs = {name: spec if isinstance(spec, tuple) else (spec, nasty) for name, spec in fields.items()}
    chaos = draw(st.sampled_from(["mostly valid"] * 3 + ["chaos"])) == "chaos"
    broken = set(specs) if chaos else draw(st.sets(st.sampled_from(sorted(specs)), max_size=2))
    data = {}
    for name, (good, bad) in specs.items():
        value = draw(st.one_of(bad, st.none(), good) if name in broken else good)
        if value is not None:
            data[name] = value
    for name, value in draw(extras() if extra is None else extra).items():
        data.setdefault(name, value)  # an extra field never replaces one of the form's own
    return data


# Valid values: any unicode text that is not blank, cut to a field's length.
word = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc", "Cf", "Co", "Cn", "Zs", "Zl", "Zp"]), min_size=1, max_size=25
)
sentence = st.lists(word, min_size=1, max_size=5).map(" ".join)


def upto(length: int):
    return sentence.map(lambda text: text[:length])


amount = st.decimals(min_value="0.01", max_value="1000", places=2).map(str)
iso_date = st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat)


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


def count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


# -- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture
def world(app, f, tmp_path):
    """Customer A (the attacker's) with a primary contact and customer B (the target)."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    a, b = f.make_customer("Acme"), f.make_customer("Globex")
    primary = f.make_contact(a, permissions=PERMISSION_KEYS, email="primary@acme.example")
    other = f.make_contact(b, email="boss@globex.example", password=None)
    project = f.make_project(a, name="Acme project")
    foreign_project = f.make_project(b, name="Globex project")
    return {
        "a": a,
        "b": b,
        "primary": primary,
        "other": other,
        "$CUSTOMER": str(a.id),
        "$OTHER_CUSTOMER": str(b.id),
        "$OTHER_CONTACT": str(other.id),
        "$PROJECT": str(project.id),
        "$OTHER_PROJECT": str(foreign_project.id),
        "$FRESH_KEY": lambda: secrets.token_hex(16),
        "$FRESH_EMAIL": lambda: f"fuzz-{secrets.token_hex(6)}@example.com",
    }


def contact_client(app, email: str):
    client = app.test_client()
    login_contact(client, email, csrf=True)
    return client


@pytest.fixture
def staff(app, f):
    f.make_staff(email="fuzz-admin@example.com")
    client = app.test_client()
    login_staff(client, "fuzz-admin@example.com", csrf=True)
    return client


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
def test_login(app, world, data):
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
def test_forgot_password(app, world, data):
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


@pytest.fixture
def primary_client(app, world):
    return contact_client(app, "primary@acme.example")


def _frozen(contact: Contact) -> tuple:
    """What the contact's own forms must never change."""
    return (contact.customer_id, contact.email, contact.is_primary, contact.active, contact.permissions)


@FUZZ
@given(data=form(PROFILE, extra=extras(PROFILE_EXTRAS)))
@example(data={"profile-first_name": "Ann\r\nBcc: x@evil.example", "profile-last_name": "Doe"})
@example(data={"profile-first_name": "A" * 20000, "profile-last_name": "Doe"})
@example(data={"profile-first_name": "Ann", "profile-last_name": "Doe", "customer_id": "$OTHER_CUSTOMER"})
def test_profile_details(app, world, primary_client, data):
    contact = world["primary"]
    old = db.session.get(Contact, contact.id)
    frozen, names = _frozen(old), (old.first_name, old.last_name)
    outcome = post(primary_client, "/profile", resolve(data, world), token_url="/profile")
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
def test_password_change(app, world, primary_client, data):
    state = world.setdefault("password", PASSWORD)
    values = {**world, "$CURRENT": state, "$SAME": data.get("password-new_password", "")}
    posted = resolve(data, values)
    outcome = post(primary_client, "/profile/password", posted, token_url="/profile")
    judge(outcome)
    if outcome.status == 302:
        assert set(outcome.changed) <= {"contacts", "email_outbox"}
        world["password"] = posted["password-new_password"]


@pytest.fixture
def limited(app, world, f):
    """A non-primary contact holding only Invoices and Support, logged in."""
    contact = f.make_contact(world["a"], permissions={"invoices", "support"}, email="limited@acme.example")
    return contact, contact_client(app, contact.email)


@FUZZ
@given(
    data=form(
        {f"notify-{n.key}": flags for n in NOTIFICATIONS},
        extra=extras(["notify-admin", "permissions", "perm_projects", "notify_invoice", "customer_id", "is_primary"]),
    )
)
@example(data={f"notify-{n.key}": "y" for n in NOTIFICATIONS} | {"perm_projects": "y", "permissions": "projects"})
def test_notification_preferences(app, world, limited, data):
    contact, client = limited
    allowed = {n.key for n in NOTIFICATIONS if n.permission in {"invoices", "support"}}
    outcome = post(client, "/profile/notifications", resolve(data, world), token_url="/profile")
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
def test_open_ticket(app, world, primary_client, data):
    me = world["primary"]
    tickets_before = count(Ticket)
    outcome = post(primary_client, "/tickets/new", resolve(data, world), token_url="/tickets/new")
    judge(outcome)
    if outcome.status == 302 and count(Ticket) > tickets_before:
        assert count(Ticket) == tickets_before + 1
        ticket = db.session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert (ticket.customer_id, ticket.contact_id, ticket.status) == (me.customer_id, me.id, "open")
        assert ticket.project_id in (None, int(world["$PROJECT"]))
        assert ticket.subject == data["subject"].strip()


@pytest.fixture
def own_ticket(world, f):
    return f.make_ticket(world["a"], world["primary"], subject="Printer on fire")


@FUZZ
@given(data=form({"message": sentence}, extra=extras(["staff_id", "ticket_id", "contact_id", "status", "customer_id"])))
@example(data={"message": "x" * 20001})
@example(data={"message": "ok", "staff_id": "1", "contact_id": "$OTHER_CONTACT"})
def test_ticket_reply(app, world, primary_client, own_ticket, data):
    url = f"/tickets/{own_ticket.id}/reply"
    replies_before = count(TicketReply)
    outcome = post(primary_client, url, resolve(data, world), token_url=f"/tickets/{own_ticket.id}")
    judge(outcome)
    if count(TicketReply) > replies_before:
        reply = db.session.scalars(select(TicketReply).order_by(TicketReply.id.desc())).first()
        assert (reply.ticket_id, reply.contact_id, reply.staff_id) == (own_ticket.id, world["primary"].id, None)


# -- portal: decisions and comments ---------------------------------------------------------------------

DECISION_EXTRAS = ["status", "decided_ip", "signer_ip", "customer_id", "signed_at", "decided_at", "invoice_id"]


@FUZZ
@given(
    target=st.sampled_from(["own", "own", "own", "foreign"]),
    data=form({"signer_name": upto(160)}, extra=extras(DECISION_EXTRAS)),
)
@example(target="own", data={"signer_name": "Ann\r\nDoe"})
@example(target="foreign", data={"signer_name": "Ann Doe"})
def test_estimate_accept(app, f, world, primary_client, target, data):
    estimate = f.make_estimate(world["a"] if target == "own" else world["b"], status="sent")
    url = f"/estimates/{estimate.id}/accept"
    outcome = post(primary_client, url, resolve(data, world), token_url="/profile")
    judge(outcome)
    db.session.expire_all()
    estimate = db.session.get(Estimate, estimate.id)
    if target == "foreign":
        assert outcome.status == 404 and estimate.status == "sent"
    elif outcome.status == 302:
        assert estimate.status == "accepted"
        assert estimate.signer_name == one_line(data["signer_name"])
        assert estimate.customer_id == world["a"].id


@FUZZ
@given(
    target=st.sampled_from(["own", "own", "own", "foreign"]),
    data=form({"signer_name": upto(160)}, extra=extras(DECISION_EXTRAS)),
)
@example(target="own", data={"signer_name": "N" * 161})
@example(target="foreign", data={"signer_name": "Ann Doe"})
def test_contract_sign(app, f, world, primary_client, target, data):
    contract = f.make_contract(world["a"] if target == "own" else world["b"], subject="Maintenance")
    url = f"/contracts/{contract.id}/sign"
    outcome = post(primary_client, url, resolve(data, world), token_url="/profile")
    judge(outcome)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    if target == "foreign":
        assert outcome.status == 404 and contract.signed_at is None
    elif outcome.status == 302:
        assert contract.signed_at is not None
        assert contract.signer_name == one_line(data["signer_name"])


@pytest.fixture
def own_proposal(world, f):
    return f.make_proposal(world["a"], subject="Roof repair")


@FUZZ
@given(data=form({"body": sentence}, extra=extras(["staff_id", "proposal_id", "contact_id", "form_token"])))
@example(data={"body": "x" * 5001})
@example(data={"body": "fine", "staff_id": "1"})
def test_proposal_comment(app, world, primary_client, own_proposal, data):
    before = count(ProposalComment)
    url = f"/proposals/{own_proposal.id}/comments"
    outcome = post(primary_client, url, resolve(data, world), token_url=f"/proposals/{own_proposal.id}")
    judge(outcome)
    if count(ProposalComment) > before:
        comment = db.session.scalars(select(ProposalComment).order_by(ProposalComment.id.desc())).first()
        assert (comment.proposal_id, comment.contact_id, comment.staff_id) == (
            own_proposal.id,
            world["primary"].id,
            None,
        )


# -- portal: company ------------------------------------------------------------------------------------

LIMITS = {"vat_number": 40, "phone": 40, "address": 500, "city": 100, "zip_code": 20, "country": 80}
WEBSITES = (
    st.sampled_from(["https://acme.example", "http://x.example/a?b=c", ""]),
    st.sampled_from(["javascript:alert(1)", "http://x"]) | nasty,
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
def test_company_details(app, world, primary_client, data):
    customer_id = world["a"].id
    db.session.expire_all()
    before = db.session.get(Customer, customer_id)
    frozen = (before.company, before.currency, before.active)
    values = {**world, "$VERSION": str(before.version)}
    outcome = post(primary_client, "/company", resolve(data, values), token_url="/company")
    judge(outcome)
    db.session.expire_all()
    after = db.session.get(Customer, customer_id)
    assert (after.company, after.currency, after.active) == frozen
    if outcome.status == 302:
        assert set(outcome.changed) <= {"customers", "audit_log"}


# -- admin ----------------------------------------------------------------------------------------------

CUSTOMER = (
    {"company": upto(160)}
    | {name: upto(limit) for name, limit in LIMITS.items()}
    | {
        "website": WEBSITES,
        "currency": (st.sampled_from(["EUR", "USD", "GBP"]), st.sampled_from(["eur", "EURO", "E\u20acR"]) | nasty),
        "active": flags,
        "version": (st.just(""), numbers),
    }
)


@FUZZ
@given(data=form(CUSTOMER, extra=extras(["id", "customer_id", "created_at"])))
@example(data={"company": "Zed", "currency": "EUR", "address": "x" * 20000})
def test_admin_customer_create(app, world, staff, data):
    before = count(Customer)
    outcome = post(staff, "/admin/customers/new", resolve(data, world), token_url="/admin/customers/new")
    judge(outcome)
    if outcome.status == 302:
        assert count(Customer) == before + 1
        created = db.session.scalars(select(Customer).order_by(Customer.id.desc())).first()
        assert created.company == data["company"].strip()


def _contact_fields(email):
    return (
        {
            "first_name": upto(80),
            "last_name": upto(80),
            "email": email,
            "phone": upto(40),
            "position": upto(80),
            "password": (st.sampled_from([STRONG, ""]), st.sampled_from(["short", "password123", "x" * 129]) | nasty),
            "send_invitation": flags,
            "is_primary": flags,
            "active": flags,
        }
        | {f"perm_{p.key}": (st.just("y"), flags) for p in PERMISSIONS}
        | {f"notify_{n.key}": flags for n in NOTIFICATIONS}
    )


CONTACT_EXTRAS = ["customer_id", "id", "session_token", "password_hash", "totp_secret", "customer"]


@FUZZ
@given(data=form(_contact_fields(st.just("$FRESH_EMAIL")), extra=extras(CONTACT_EXTRAS)))
@example(data={"first_name": "A", "last_name": "B", "email": "$FRESH_EMAIL", "customer_id": "$OTHER_CUSTOMER"})
@example(
    data={"first_name": "A\r\nBcc: x@evil.example", "last_name": "B", "email": "$FRESH_EMAIL", "send_invitation": "y"}
)
def test_admin_contact_create(app, world, staff, data):
    url = f"/admin/customers/{world['a'].id}/contacts/new"
    before = count(Contact)
    outcome = post(staff, url, resolve(data, world), token_url=url)
    judge(outcome)
    if count(Contact) > before:
        created = db.session.scalars(select(Contact).order_by(Contact.id.desc())).first()
        assert created.customer_id == world["a"].id
        for n in NOTIFICATIONS:
            assert n.key not in created.notifications or n.permission in created.permissions


@pytest.fixture
def colleague(world, f):
    return f.make_contact(world["a"], email="colleague@acme.example", first_name="Cole")


@FUZZ
@given(
    data=form(
        _contact_fields((st.just("colleague@acme.example"), st.sampled_from(["boss@globex.example"]) | nasty))
        | {"version": st.one_of(st.just("$VERSION"), numbers)},
        extra=extras(CONTACT_EXTRAS),
    )
)
@example(data={"first_name": "A", "last_name": "B", "email": "colleague@acme.example", "version": "9" * 5000})
@example(
    data={
        "first_name": "A",
        "last_name": "B",
        "email": "colleague@acme.example",
        "version": "$VERSION",
        "customer_id": "$OTHER_CUSTOMER",
    }
)
@example(data={"first_name": "A", "last_name": "B", "email": "boss@globex.example", "version": "$VERSION"})
def test_admin_contact_edit(app, world, staff, colleague, data):
    url = f"/admin/contacts/{colleague.id}/edit"
    db.session.expire_all()
    values = {**world, "$VERSION": str(db.session.get(Contact, colleague.id).version)}
    outcome = post(staff, url, resolve(data, values), token_url=url)
    judge(outcome)
    db.session.expire_all()
    after = db.session.get(Contact, colleague.id)
    assert after.customer_id == world["a"].id
    assert db.session.get(Contact, world["other"].id).email == "boss@globex.example"


def _line(index: int, blank: bool = False) -> dict:
    """A line item's fields; with ``blank`` the valid row is an empty one (it is ignored)."""

    def valid(strategy):
        return st.just("") if blank else strategy

    return {
        f"lines-{index}-description": (valid(upto(255)), nasty),
        f"lines-{index}-quantity": (valid(amount), numbers),
        f"lines-{index}-unit_price": (valid(amount), numbers),
        f"lines-{index}-tax_rate": (valid(st.sampled_from(["0", "7", "19", "100"])), numbers),
    }


INVOICE = (
    {
        "customer": (st.just("$CUSTOMER"), st.just("$OTHER_CUSTOMER") | numbers),
        "project": (st.sampled_from(["", "$PROJECT"]), st.just("$OTHER_PROJECT") | numbers),
        "currency": (st.sampled_from(["EUR", "usd", ""]), nasty),
        "form_token": st.just("$FRESH_KEY"),
        "date": (iso_date, st.sampled_from(["2026-02-30", "0001-01-01", "9999-12-31", "10000-01-01"]) | nasty),
        "due_date": (st.just(""), st.sampled_from(["1999-01-01", "9999-12-31"]) | nasty),
        "status": (
            st.sampled_from(["draft", "unpaid"]),
            st.sampled_from(["paid", "partially_paid", "cancelled"]) | nasty,
        ),
        "discount": (st.sampled_from(["", "0", "1.50"]), numbers),
        "notes": sentence,
    }
    | _line(0)
    | _line(1, blank=True)
)
INVOICE_EXTRAS = ["customer_id", "number", "amount_paid", "total", "lines-150-description", "lines-12-quantity"]
GOOD_INVOICE = {
    "customer": "$CUSTOMER",
    "date": "2026-02-03",
    "status": "unpaid",
    "form_token": "$FRESH_KEY",
    "lines-0-description": "Work",
    "lines-0-quantity": "2",
    "lines-0-unit_price": "10.50",
}


@FUZZ
@given(data=form(INVOICE, extra=extras(INVOICE_EXTRAS, st.one_of(nasty, st.just("y")))))
@example(data=GOOD_INVOICE | {"lines-0-unit_price": "NaN"})
@example(data=GOOD_INVOICE | {"lines-0-quantity": "Infinity"})
@example(data=GOOD_INVOICE | {"lines-0-unit_price": "1e309"})
@example(data=GOOD_INVOICE | {"lines-0-unit_price": "9" * 5000})
@example(data=GOOD_INVOICE | {"discount": "-1"})
@example(data=GOOD_INVOICE | {"project": "$OTHER_PROJECT"})
@example(data=GOOD_INVOICE | {"lines-0-unit_price": "999999999", "lines-0-quantity": "1000000"})
def test_admin_invoice_create(app, world, staff, data):
    before = count(Invoice)
    outcome = post(staff, "/admin/invoices/new", resolve(data, world), token_url="/admin/invoices/new")
    judge(outcome)
    if count(Invoice) > before:
        invoice = db.session.scalars(select(Invoice).order_by(Invoice.id.desc())).first()
        assert str(invoice.customer_id) == resolve(data, world)["customer"]
        assert invoice.project_id in (None, int(world["$PROJECT"])) or invoice.customer_id != world["a"].id
        assert invoice.items and invoice.total.is_finite() and Decimal(0) <= invoice.total <= MAX_AMOUNT
        assert invoice.status in ("draft", "unpaid")


SETTINGS = (
    {f"perm_{p.key}": flags for p in PERMISSIONS}
    | {key: (st.integers(0, 365).map(str), st.sampled_from(["366", "-1"]) | numbers) for key in REMINDER_SETTINGS}
    | {key: flags for key in ("contacts_see_all_tickets", "primary_manages_contacts")}
    # Left off: once on, this staff user (without two-factor login) could only reach its setup page.
    | {"require_staff_two_factor": (st.just(""), st.just(""))}
)
GOOD_SETTINGS = {key: "3" for key in REMINDER_SETTINGS}


@FUZZ
@given(data=form(SETTINGS, extra=extras(["perm_admin", "secret_key", "default_contact_permissions"])))
@example(data=GOOD_SETTINGS | {"overdue_first_after_days": "9" * 5000})
@example(data=GOOD_SETTINGS | {"due_soon_days_before": "\u00b2"})
@example(data=GOOD_SETTINGS | {"due_soon_days_before": "-1"})
@example(data=GOOD_SETTINGS | {"default_contact_permissions": "admin,invoices"})
def test_admin_settings(app, world, staff, data):
    outcome = post(staff, "/admin/settings", resolve(data, world), token_url="/admin/settings")
    judge(outcome)
    if outcome.status == 302:
        assert urlsplit(outcome.location).path == "/admin/settings"
        assert set(outcome.changed) <= {"settings"}
        stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
        for key in REMINDER_SETTINGS:
            assert 0 <= int(stored[key]) <= 365
        assert set(stored["default_contact_permissions"].split(",")) - {""} <= set(PERMISSION_KEYS)


def test_oversized_body_is_refused(app, world, primary_client):
    """A body above MAX_CONTENT_LENGTH is a 413 and opens no ticket."""
    token = token_from(primary_client, "/tickets/new")
    before = snapshot()
    response = primary_client.post(
        "/tickets/new",
        data={"csrf_token": token, "subject": "Big", "message": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)},
    )
    response.close()
    assert response.status_code == 413
    assert not changed_tables(before, snapshot())


# -- inputs that broke the app, each on its own ---------------------------------------------------------


@pytest.fixture
def targets(world, f, own_ticket, own_proposal, colleague):
    """Objects the NUL cases post to, by placeholder name."""
    return {
        "ticket": own_ticket.id,
        "proposal": own_proposal.id,
        "estimate": f.make_estimate(world["a"], status="sent").id,
        "contract": f.make_contract(world["a"]).id,
        "customer": world["a"].id,
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
def test_nul_character(app, world, primary_client, staff, targets, who, url, page, valid, name):
    """A NUL character in a text field is a clean rejection (or stored), never a server error."""
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = app.config["LOGIN_LIMIT_PER_IP"] = "10000 per minute"
    app.config["PROPAGATE_EXCEPTIONS"] = False  # see the 500 a visitor would get
    client = {"nobody": app.test_client(), "contact": primary_client, "staff": staff}[who]
    data = {key: value.format(**targets) for key, value in resolve(valid, world).items()}
    data[name] = f"a\x00{data.get(name, 'b')}"
    exclude = ("audit_log",) if url == "/login" else ()  # a failed login is audited, as it must be
    outcome = post(client, url.format(**targets), data, token_url=page.format(**targets), exclude=exclude)
    judge(outcome, success=(302,))


@pytest.mark.parametrize(
    "name", ["lines-\u00b2-description", "lines-" + "9" * 5000 + "-description"], ids=["superscript", "huge"]
)
def test_sales_form_line_index(app, world, staff, name):
    outcome = post(
        staff, "/admin/invoices/new", resolve(GOOD_INVOICE | {name: "x"}, world), token_url="/admin/invoices/new"
    )
    judge(outcome)
