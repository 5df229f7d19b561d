"""Canary sweep: nothing of customer B ever reaches a contact of customer A.

Two customers get rich data through the real services (models directly where no service
exists): invoices in every status with payments, credit notes, estimates (one converted),
proposals with comments, contracts, tickets with replies and attachments, projects with tasks,
task comments, milestones, discussions with comments and files, and contacts with various
permissions and toggles. Every text field of every record of customer B carries B's marker;
customer A's records carry A's marker (a positive control: the crawl must see them), and A's
internal records (drafts, hidden tasks, files, milestones and discussions) carry a third
marker that A's contacts must not see either. Notification emails are queued for both.

Then every contact of A logs in and crawls: from /dashboard it follows every same-site link
and redirect, and it requests every GET URL of the customer area built from the URL map with
the ids of every object of the database (both customers), PDFs and attachments included. No
response may contain B's marker (case-insensitively, PDF streams inflated), none may be a
5xx, and GET requests must change nothing in the database. Every email addressed to A's
contacts (subject, bodies, link, attachments) must be free of B's marker too.
"""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import IntegerConverter

from core import models
from core.extensions import db
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, PRIMARY_MANAGES_CONTACTS, set_settings
from tests import factories
from tests.http.helpers.canary_sweep import World, build_world

from .attack_helpers import changed_tables, crawl, inflate_pdf, login_contact, searchable, snapshot

CRAWL_LIMIT = 1500  # per contact; the real number is a few hundred


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 page in the sweep, reported with its URL
    # Every contact logs in once; keep the throttle out of the way of the sweep.
    app.config["LOGIN_LIMIT_PER_IP"] = "10000 per minute"
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "10000 per minute"
    return tmp_path


@pytest.fixture
def worlds(app):
    staff = factories.make_staff(email="canary-staff@example.com", name="Canary Staff")
    set_settings({PRIMARY_MANAGES_CONTACTS: "1", CONTACTS_SEE_ALL_TICKETS: "1"})
    a = build_world("A", staff)
    b = build_world("B", staff)
    db.session.expire_all()
    return a, b


# -- URLs from the URL map --------------------------------------------------------------------------

ARG_MODELS = {
    "invoice_id": models.Invoice,
    "credit_note_id": models.CreditNote,
    "estimate_id": models.Estimate,
    "contract_id": models.Contract,
    "proposal_id": models.Proposal,
    "ticket_id": models.Ticket,
    "project_id": models.Project,
    "task_id": models.Task,
    "milestone_id": models.Milestone,
    "discussion_id": models.Discussion,
    "file_id": models.StoredFile,
    "contact_id": models.Contact,
}


def url_map_urls(app) -> list[str]:
    """Every GET URL of the customer area with the ids of every object of the database.

    Each integer argument gets every id of the model it names (both customers' objects) and
    one id past the last; an integer argument of unknown meaning gets every id of every model.
    Rules with other arguments (the emailed tokens) are left out.
    """
    ids = {}
    for arg, model in ARG_MODELS.items():
        values = sorted(db.session.scalars(select(model.id)))
        ids[arg] = [*values, (values[-1] if values else 0) + 1]
    every_id = sorted({i for values in ids.values() for i in values})
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("portal.") or "GET" not in rule.methods:
            continue
        args = sorted(rule.arguments - set(rule.defaults or {}))
        if any(not isinstance(rule._converters[arg], IntegerConverter) for arg in args):
            continue
        choices = [ids.get(arg, every_id) for arg in args]
        for combo in product(*choices):
            urls.append(adapter.build(rule.endpoint, {**(rule.defaults or {}), **dict(zip(args, combo, strict=True))}))
    return list(dict.fromkeys(urls))


# -- the sweep ---------------------------------------------------------------------------------------


def _find(text: str, marker: str) -> str | None:
    """The text around the first occurrence of ``marker`` (case-insensitive), or None."""
    index = text.lower().find(marker.lower())
    if index < 0:
        return None
    return text[max(0, index - 60) : index + len(marker) + 40]


def _sweep(app, a: World, b: World, role: str, urls: list[str]):
    contact = a.contacts[role]
    client = app.test_client()
    login_contact(client, contact.email)
    before = snapshot()
    result = crawl(client, ["/dashboard", *urls], limit=CRAWL_LIMIT)
    after = snapshot()
    problems = []
    if result.truncated:
        problems.append(f"{role}: crawl stopped at {CRAWL_LIMIT} URLs")
    if changed_tables(before, after):
        problems.append(f"{role}: GET requests changed tables {changed_tables(before, after)}")
    seen = []
    for page in result.pages:
        if page.status >= 500:
            problems.append(f"{role}: {page.url} -> {page.status}")
        text = page.text + "\n" + page.headers.get("Content-Disposition", "") + page.headers.get("Location", "")
        for marker, what in ((b.marker, "customer B's data"), (a.internal, "A's internal data")):
            if (snippet := _find(text, marker)) is not None:
                problems.append(f"{role}: {page.url} ({page.status}) shows {what}: ...{snippet}...")
        seen.append(text.lower())
    return result, problems, "\n".join(seen)


# What every contact of A must see of its own customer (the crawl really reaches the data).
VISIBLE_TO = {
    "primary": {
        "company",
        "vat",
        "primary-first",
        "colleague-last",
        "inv-unpaid",
        "inv-unpaid-l1",
        "inv-unpaid-notes",
        "inv-overdue",
        "inv-partly",
        "pay1-m",
        "inv-paid",
        "inv-conv",
        "cn1",
        "cn1-l2",
        "est-sent",
        "est-sent-l1",
        "est-acc",
        "prop-open",
        "prop-open-content",
        "pc-contact",
        "pc-staff",
        "ctr-open",
        "ctr-open-content",
        "ctr-signed",
        "tk1",
        "tk1-msg",
        "tk1-staff",
        "tk1-reply",
        "tk1-att",
        "tk1-att-bytes",
        "tk2",
        "tk3-satt-b",
        "dept",
        "proj1",
        "proj1-desc",
        "proj2",
        "task1",
        "tc-contact",
        "tc-staff",
        "ms1",
        "disc1",
        "dc-contact",
        "dc-staff",
        "pfile",
        "pfile-bytes",
        "cfile-bytes",
    },
    "colleague": {"inv-unpaid", "tk1", "tk2-att-bytes", "task1", "pfile-bytes", "prop-open"},
    "billing": {"inv-unpaid", "inv-unpaid-l1", "cn1", "tk3", "tk1", "tk3-satt-b"},
    "builder": {"proj1", "task1", "tc-staff", "ms1", "disc1", "pfile-bytes", "tk2"},
    "sales": {"est-sent", "est-sent-l1", "ctr-open-content", "prop-open", "pc-staff"},
}


@pytest.mark.parametrize("role", sorted(VISIBLE_TO))
def test_contact_of_a_never_sees_customer_b(app, worlds, role):
    a, b = worlds
    urls = url_map_urls(app)
    result, problems, seen = _sweep(app, a, b, role, urls)

    assert not problems, "\n".join(problems)
    missing = sorted(label for label in VISIBLE_TO[role] if a.texts[label].lower() not in seen)
    assert not missing, f"{role} never saw its own {missing}: the crawl does not reach the data"
    downloads = [p for p in result.pages if p.status == 200 and not p.is_html]
    assert downloads, "no PDF or attachment was downloaded"
    assert len(result.pages) > 50


def test_emails_to_contacts_of_a_never_show_customer_b(app, worlds):
    a, b = worlds
    addresses = {c.email for c in a.contacts.values()}
    ids = {c.id for c in a.contacts.values()}
    emails = db.session.scalars(
        select(models.OutboxEmail).where(
            (models.OutboxEmail.contact_id.in_(ids)) | (models.OutboxEmail.to_address.in_(addresses))
        )
    ).all()
    others = db.session.scalars(select(models.OutboxEmail).where(models.OutboxEmail.contact_id.not_in(ids))).all()
    assert len(emails) >= 30 and others, "the worlds queued too few emails to check"

    problems, seen = [], []
    for email in emails:
        parts = {
            "to": f"{email.to_name} <{email.to_address}> cc {email.cc}",
            "subject": email.subject,
            "text": email.text_body,
            "html": email.html_body,
            "link": f"{email.link} {email.unsubscribe_url}",
        }
        for attachment in email.attachments:
            parts[f"attachment {attachment.filename}"] = attachment.filename + searchable(attachment.data)
            if attachment.data.startswith(b"%PDF"):
                assert inflate_pdf(attachment.data) != attachment.data
        for part, text in parts.items():
            for marker, what in ((b.marker, "customer B's data"), (a.internal, "A's internal data")):
                if (snippet := _find(text, marker)) is not None:
                    problems.append(
                        f"email #{email.id} {email.event} to {email.to_address}, {part} shows {what}: ...{snippet}..."
                    )
            seen.append(text.lower())
    assert not problems, "\n".join(problems)
    seen_text = "\n".join(seen)
    for label in ("inv-unpaid", "cn1", "est-sent", "ctr-open", "tk1", "tk1-mail", "proj1", "tc-mail", "company"):
        assert a.texts[label].lower() in seen_text, f"no email to A shows its own {label}"
    # The attached PDFs were searched inflated: A's own line items are found in them.
    assert a.texts["inv-unpaid-l1"].lower() in seen_text
