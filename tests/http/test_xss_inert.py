"""XSS payloads typed into every editable field are inert: in pages, in emails and in PDFs.

The payloads go in through the real forms (admin and customer area): customer and company
fields, contact names, ticket subject and message, comments on tickets, proposals, tasks and
discussions, document descriptions and notes, project, task, milestone and discussion texts,
department names, signer names, payment methods and uploaded file names; a file name that
skipped ``secure_filename`` and a ``javascript:`` website are stored directly.

Then the customer area (as the customer's contact) and the admin area (as staff) are crawled:
no HTML response contains a payload unescaped, ``{{7*7}}`` is never evaluated, no ``href`` or
``src`` starts with ``javascript:``, and every HTML response has a Content-Security-Policy
whose script-src/default-src does not allow inline script. Every email's HTML part is escaped
while its subject and text part carry the payload literally (not HTML-escaped); every PDF is
produced (no crash) and prints the payload literally.
"""

from __future__ import annotations

import io
import re
import secrets
import uuid
from datetime import date
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from core.catalogs import NOTIFICATIONS, PERMISSIONS
from core.extensions import db
from core.models import (
    Contract,
    CreditNote,
    Customer,
    Discussion,
    Estimate,
    Invoice,
    Milestone,
    OutboxEmail,
    Project,
    Proposal,
    StoredFile,
    Task,
    Ticket,
)
from core.services.settings import CONTACTS_SEE_ALL_TICKETS, PRIMARY_MANAGES_CONTACTS, set_settings

from .attack_helpers import (
    crawl,
    csp_allows_inline_script,
    hidden_value,
    inflate_pdf,
    login_contact,
    searchable,
    snapshot,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS = "javascript:alert(1)"
TPL = "T{{7*7}}T"  # fenced by T so an evaluation ("T49T") cannot be mistaken for other text
SVG = "</textarea><svg onload=alert(1)>"
ALL = f"{SCRIPT} {IMG} {JS} {TPL} {SVG}"  # 108 characters: for fields that take it all
# What must never appear as-is in an HTML page or an email's HTML part.
RAW = (SCRIPT, "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "</textarea><svg", "T49T")
# Attributes whose value must never be a javascript: URL.
JS_URL = re.compile(r"""(?:href|src|action|formaction|xlink:href)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
# HTML escapes that must not leak into a subject or text part (double escaping).
ESCAPES = ("&lt;", "&gt;", "&#34;", "&#39;", "&quot;", "&amp;")
STRONG = "Kestrel-Orbit-2041!"
TODAY = date.today().isoformat()


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 page in the crawl, reported with its URL
    return tmp_path


AFTER_POSTS: list = []  # the pages shown right after each form post (their flash messages name the input)


def _ok(response, what: str, client) -> str:
    """The redirect target of a successful form post (the payload was accepted and stored).

    The target is opened too and kept in ``AFTER_POSTS``: its flash message often repeats
    what was typed ("Contact <name> created").
    """
    body = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 302, (
        f"{what}: {response.status_code} {re.findall(r'invalid-feedback.>([^<]*)', body)}"
    )
    location = response.headers["Location"]
    AFTER_POSTS.extend(crawl(client, [location], limit=1).pages)
    return location


def _id(location: str) -> int:
    return int(re.search(r"/(\d+)(?:/[a-z-]*)?(?:#.*)?$", location).group(1))


def _newest(model):
    return db.session.scalars(select(model).order_by(model.id.desc())).first()


def _file(name: str, content: bytes = b"plain text"):
    return (io.BytesIO(content), name)


@pytest.fixture
def planted(app, admin_client, f):
    """Payloads in every editable field, through the real forms; returns the logged-in clients."""
    staff, portal = admin_client, app.test_client()
    AFTER_POSTS.clear()
    set_settings({PRIMARY_MANAGES_CONTACTS: "1", CONTACTS_SEE_ALL_TICKETS: "1"})
    _ok(staff.post("/admin/departments", data={"name": IMG}), "department", staff)

    # Customer and contacts (admin forms).
    customer_data = {
        "company": ALL,
        "vat_number": SCRIPT,
        "phone": IMG,
        "website": "https://xss.example/",
        "address": f"{ALL}\n{ALL}",
        "city": f"{SVG} {TPL}",
        "zip_code": TPL,
        "country": IMG,
        "currency": "EUR",
        "active": "y",
    }
    customer_id = _id(_ok(staff.post("/admin/customers/new", data=customer_data), "customer", staff))
    everything = {f"perm_{p.key}": "y" for p in PERMISSIONS} | {f"notify_{n.key}": "y" for n in NOTIFICATIONS}
    new_contact = f"/admin/customers/{customer_id}/contacts/new"
    contact_data = {
        "email": "xss-primary@example.com",
        "access": "password",
        "password": STRONG,
        "active": "y",
        "is_primary": "y",
    }
    contact_data |= {"first_name": SCRIPT, "last_name": IMG, "position": SVG, "phone": TPL, **everything}
    _ok(staff.post(new_contact, data=contact_data), "primary contact", staff)
    colleague_data = {"email": "xss-colleague@example.com", "active": "y", "first_name": SVG, "last_name": TPL}
    _ok(staff.post(new_contact, data={**colleague_data, "position": JS, **everything}), "colleague", staff)
    primary = db.session.scalar(select(Customer).where(Customer.id == customer_id)).contacts[0]
    login_contact(portal, "xss-primary@example.com", STRONG)

    # Customer area: company details, a colleague invited by the primary contact.
    company = {"vat_number": TPL, "phone": SCRIPT, "address": ALL, "city": IMG, "zip_code": TPL, "country": SVG}
    version = hidden_value(portal.get("/company").get_data(as_text=True), "version")
    _ok(portal.post("/company", data={**company, "version": version}), "company details", portal)
    invite = {"first_name": IMG, "last_name": SCRIPT, "email": "xss-invited@example.com", "perm_support": "y"}
    _ok(portal.post("/company/contacts/new", data={**invite, "notify_ticket": "y"}), "invitation", portal)

    # A project with everything the customer may see (admin forms), then the customer's comments.
    settings = {f"setting_{key}": "y" for key in ("view_tasks", "comment_tasks", "view_milestones", "view_files")}
    settings |= {f"setting_{key}": "y" for key in ("upload_files", "view_discussions", "view_finance", "view_tickets")}
    project_url = f"/admin/customers/{customer_id}/projects/new"
    project_id = _id(_ok(staff.post(project_url, data={"name": ALL, "description": ALL, **settings}), "project", staff))
    base = f"/admin/projects/{project_id}"
    _ok(staff.post(f"{base}/tasks", data={"task-name": ALL, "task-visible_to_customer": "y"}), "task", staff)
    milestone = {"milestone-name": ALL, "milestone-description": ALL, "milestone-visible_to_customer": "y"}
    _ok(staff.post(f"{base}/milestones", data=milestone), "milestone", staff)
    discussion = {"discussion-subject": ALL, "discussion-description": ALL, "discussion-visible_to_customer": "y"}
    _ok(staff.post(f"{base}/discussions", data=discussion), "discussion", staff)
    upload = {"file-file": _file(f"{SCRIPT}.txt"), "file-visible_to_customer": "y"}
    _ok(staff.post(f"{base}/files", data=upload, content_type="multipart/form-data"), "admin file", staff)
    task, topic = _newest(Task), _newest(Discussion)
    _ok(portal.post(f"/projects/{project_id}/tasks/{task.id}/comments", data={"body": ALL}), "task comment", portal)
    _ok(staff.post(f"/admin/tasks/{task.id}/comments", data={"body": ALL}), "staff task comment", staff)
    _ok(
        portal.post(f"/projects/{project_id}/discussions/{topic.id}/comments", data={"body": ALL}), "discussion", portal
    )
    files = {"file": _file(f"{IMG}.txt")}
    _ok(portal.post(f"/projects/{project_id}/files", data=files, content_type="multipart/form-data"), "upload", portal)
    # A stored name that skipped secure_filename (an import, an older version): still inert.
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    stored_name = uuid.uuid4().hex
    (folder / stored_name).write_bytes(b"raw name")
    raw = StoredFile(
        customer_id=customer_id,
        project_id=project_id,
        original_name=f"{ALL}.txt",
        stored_name=stored_name,
        content_type="text/plain",
        size=8,
    )
    db.session.add(raw)
    db.session.commit()

    # A ticket opened in the customer area, with an attachment; a staff reply (emailed).
    page = portal.get("/tickets/new").get_data(as_text=True)
    ticket = {"subject": ALL, "department": IMG.strip(), "priority": "high", "project": str(project_id)}
    ticket |= {"message": ALL, "submission_key": hidden_value(page, "submission_key")}
    ticket["attachments"] = _file(f"{SVG}.txt")
    ticket_id = _id(_ok(portal.post("/tickets/new", data=ticket, content_type="multipart/form-data"), "ticket", portal))
    _ok(staff.post(f"/admin/tickets/{ticket_id}", data={"body": ALL}), "staff reply", staff)
    _ok(portal.post(f"/tickets/{ticket_id}/reply", data={"message": f"{ALL} again"}), "contact reply", portal)

    # Sales documents (admin forms), sent by email with their PDFs; the customer decides and comments.
    def document(slug: str, **fields) -> int:
        data = {"customer": str(customer_id), "date": TODAY, "form_token": secrets.token_hex(16), "notes": ALL}
        data |= {"lines-0-description": ALL, "lines-0-quantity": "1", "lines-0-unit_price": "100"}
        data |= {"lines-1-description": SCRIPT, "lines-1-quantity": "2", "lines-1-unit_price": "5"}
        return _id(_ok(staff.post(f"/admin/{slug}/new", data={**data, **fields}), slug, staff))

    invoice_id = document("invoices", status="unpaid", project=str(project_id))
    payment = {"amount": "10", "paid_on": TODAY, "method": IMG}
    _ok(staff.post(f"/admin/invoices/{invoice_id}/payments", data=payment), "payment", staff)
    estimate_id = document("estimates", status="sent")
    note_id = document("credit-notes", status="open", invoice=str(invoice_id))
    agreement = {"customer": str(customer_id), "form_token": secrets.token_hex(16), "subject": ALL, "content": ALL}
    contract_data = {**agreement, "value": "100", "start_date": TODAY, "project": str(project_id)}
    contract_id = _id(_ok(staff.post("/admin/contracts/new", data=contract_data), "contract", staff))
    proposal_data = {**agreement, "form_token": secrets.token_hex(16), "total": "100", "date": TODAY}
    proposal_id = _id(
        _ok(staff.post("/admin/proposals/new", data={**proposal_data, "status": "open"}), "proposal", staff)
    )
    for slug, doc_id in (("invoices", invoice_id), ("estimates", estimate_id), ("credit-notes", note_id)):
        sent = {"recipients": str(primary.id), "attach_pdf": "y"}
        _ok(staff.post(f"/admin/{slug}/{doc_id}/send", data=sent), f"send {slug}", staff)
    sent = {"recipients": str(primary.id), "attach_pdf": "y"}
    _ok(staff.post(f"/admin/contracts/{contract_id}/send", data=sent), "send contract", staff)
    _ok(portal.post(f"/estimates/{estimate_id}/accept", data={"signer_name": ALL}), "accept", portal)
    _ok(portal.post(f"/contracts/{contract_id}/sign", data={"signer_name": ALL}), "sign", portal)
    _ok(portal.post(f"/proposals/{proposal_id}/comments", data={"body": ALL}), "proposal comment", portal)
    comment = {"body": ALL, "form_token": secrets.token_hex(16)}
    _ok(staff.post(f"/admin/proposals/{proposal_id}/comments", data=comment), "staff proposal comment", staff)

    # A javascript: website the forms refuse (below) but an import could store: shown as text only.
    customer = db.session.get(Customer, customer_id)
    customer.website = JS
    db.session.commit()
    for model in (Invoice, Estimate, CreditNote, Contract, Proposal, Project, Ticket, Milestone):
        assert _newest(model) is not None, model
    return {
        "staff": staff,
        "portal": portal,
        "customer_id": customer_id,
        "raw_file": raw.id,
        "project": project_id,
        "after_posts": list(AFTER_POSTS),
    }


def _html_problems(pages, area: str) -> list[str]:
    problems = []
    for page in pages:
        if page.status >= 500:
            problems.append(f"{area} {page.url}: {page.status}")
        if not page.is_html:
            continue
        policy = page.headers.get("Content-Security-Policy", "")
        if not policy or csp_allows_inline_script(policy):
            problems.append(f"{area} {page.url}: Content-Security-Policy {policy!r} allows inline script")
        text = page.body.decode("utf-8", errors="replace")
        for raw in RAW:
            if raw in text:
                index = text.index(raw)
                problems.append(f"{area} {page.url}: unescaped {raw!r}: ...{text[max(0, index - 80) : index + 40]}...")
        for match in JS_URL.finditer(text):
            problems.append(
                f"{area} {page.url}: javascript: URL in an attribute: {text[match.start() : match.end() + 20]}"
            )
    return problems


def _escaped_seen(pages) -> str:
    return "\n".join(p.body.decode("utf-8", errors="replace") for p in pages if p.is_html and p.status == 200)


def _pdfs(pages):
    return [p for p in pages if p.mimetype == "application/pdf"]


def test_customer_area_renders_payloads_inert(app, planted):
    # Error pages (404, 405) must carry the same headers as the rest.
    start = ["/dashboard", "/profile", "/company", "/company/contacts", "/invoices/987654", "/tickets/1/close"]
    result = crawl(planted["portal"], start, limit=500)
    assert not result.truncated
    problems = _html_problems(result.pages, "portal")
    assert not problems, "\n".join(problems)

    seen = _escaped_seen(result.pages)
    for escaped in ("&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(1)&gt;", TPL):
        assert escaped in seen, f"{escaped} is shown nowhere: the payload never reached a page"
    pdfs = _pdfs(result.pages)
    assert len(pdfs) >= 5, [p.url for p in result.pages if "pdf" in p.url]
    for pdf in pdfs:
        assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf.url
        assert pdf.headers["Content-Disposition"].startswith("attachment"), pdf.url
    documents = [p for p in pdfs if "statement" not in p.url]
    for pdf in documents:
        text = inflate_pdf(pdf.body).decode("cp1252", errors="replace")
        assert SCRIPT in text and TPL in text, f"{pdf.url} does not print the payload literally"
    downloads = [p for p in result.pages if p.status == 200 and p.mimetype == "text/plain"]
    assert downloads, "no uploaded file was downloaded"
    for download in downloads:
        disposition = download.headers["Content-Disposition"]
        # Served as a download, never inline; the name is quoted by Werkzeug and cannot add a header.
        assert disposition.startswith("attachment") and "\n" not in disposition and "\r" not in disposition


def test_admin_area_renders_payloads_inert(app, planted):
    emails = db.session.scalars(select(OutboxEmail.id)).all()
    start = [
        "/admin/customers",
        f"/admin/customers/{planted['customer_id']}",
        f"/admin/customers/{planted['customer_id']}/contacts",
        "/admin/emails",
        "/admin/audit",
        "/admin/tickets",
        "/admin/departments",
        "/admin/projects",
        "/admin/customers/987654",
        f"/admin/projects/{planted['project']}/files/{planted['raw_file']}",
        *(f"/admin/emails/{email_id}/html" for email_id in emails),
    ]
    result = crawl(
        planted["staff"],
        start,
        limit=700,
        skip=lambda url: not url.startswith("/admin") or "/login-as" in url,
    )
    assert not result.truncated
    problems = _html_problems(result.pages, "admin") + _html_problems(planted["after_posts"], "after a post")
    assert not problems, "\n".join(problems)
    edits = [p.url for p in result.pages if p.url.endswith("/edit") and p.status == 200]
    assert len(edits) >= 6, edits  # the forms that show the stored values in inputs and textareas
    flashed = _escaped_seen(planted["after_posts"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in flashed
    seen = _escaped_seen(result.pages)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen and TPL in seen
    pdfs = _pdfs(result.pages)
    assert len(pdfs) >= 4
    for pdf in pdfs:
        assert pdf.status == 200 and SCRIPT in inflate_pdf(pdf.body).decode("cp1252", errors="replace"), pdf.url


def test_forms_refuse_a_javascript_website(app, planted):
    staff, portal, customer_id = planted["staff"], planted["portal"], planted["customer_id"]
    before = snapshot()
    edit = {"company": "Acme", "currency": "EUR", "active": "y", "website": JS}
    response = staff.post(f"/admin/customers/{customer_id}/edit", data=edit)
    response.close()
    assert response.status_code == 200
    version = hidden_value(portal.get("/company").get_data(as_text=True), "version")
    response = portal.post("/company", data={"website": JS, "version": version})
    response.close()
    assert response.status_code == 200
    assert snapshot() == before


def test_emails_carry_payloads_inert(app, planted):
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    events = {email.event for email in emails}
    expected = {"invitation", "ticket_staff_reply", "task_commented", "project_discussion", "project_file_added"}
    expected |= {"invoice_sent", "estimate_sent", "credit_note_sent", "contract_sent", "payment_recorded"}
    expected |= {"staff_ticket_opened", "staff_proposal_comment", "staff_contract_signed", "staff_estimate_decided"}
    assert expected <= events, sorted(expected - events)

    problems = []
    for email in emails:
        for raw in RAW:
            if raw in email.html_body:
                problems.append(f"#{email.id} {email.event}: html part has {raw!r} unescaped")
        for match in JS_URL.finditer(email.html_body):
            problems.append(
                f"#{email.id} {email.event}: javascript: URL {email.html_body[match.start() : match.end()]}"
            )
        for part, text in (("subject", email.subject), ("text", email.text_body), ("to", email.to_name)):
            for escape in ESCAPES:
                if escape in text:
                    problems.append(
                        f"#{email.id} {email.event}: {part} shows the HTML escape {escape!r}: {text[:160]!r}"
                    )
            if "\n" in email.subject or "\r" in email.subject:
                problems.append(f"#{email.id} {email.event}: line break in the subject")
        if "T49T" in email.subject + email.text_body:
            problems.append(f"#{email.id} {email.event}: template evaluated")
        for attachment in email.attachments:
            if attachment.data.startswith(b"%PDF") and SCRIPT not in searchable(attachment.data):
                problems.append(f"#{email.id} {email.event}: attached PDF does not print the payload literally")
    assert not problems, "\n".join(problems)

    by_event = {email.event: email for email in emails}
    reply = by_event["ticket_staff_reply"]
    assert SCRIPT in reply.subject and IMG in reply.subject, reply.subject  # literal, on one line
    assert ALL in reply.text_body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reply.html_body
    invitation = by_event["invitation"]
    assert IMG in invitation.text_body and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in invitation.html_body
    assert TPL in by_event["task_commented"].text_body and TPL in by_event["task_commented"].html_body
    for email in emails:
        if email.attachments:
            assert any(a.filename.endswith(".pdf") for a in email.attachments)
