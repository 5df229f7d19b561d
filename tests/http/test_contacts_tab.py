"""Issue 16: the Contacts tab's row actions and its "nobody receives" warning, and the contact
form's one choice of how a contact gets its password.

The warning names only notifications some contact who may log in could receive (holds the
permission), says who, links to them, and says what the send dialog says.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from core.extensions import db
from core.models import Contact, StaffUser
from core.services.accounts import create_staff
from tests.conftest import login
from tests.factories import PASSWORD
from tests.http.helpers.email_links import outbox
from tests.http.helpers.forms import contact_form

NEVER_FOR_PROJECTS_ONLY = ("invoice", "credit_note", "estimate", "contract", "ticket")


def contacts_tab(client, customer) -> str:
    return client.get(f"/admin/customers/{customer.id}/contacts").get_data(as_text=True)


def warning_item(page: str, key: str) -> str:
    match = re.search(rf'<li data-testid="unreached-{key}">(.*?)</li>', page, re.S)
    assert match, f"no warning for {key}"
    return " ".join(match.group(1).split())


def test_projects_only_customer_is_warned_only_about_what_its_contacts_could_receive(admin_client, f):
    customer = f.make_customer("Acme")
    anna = f.make_contact(customer, first_name="Anna", last_name="Lead", permissions={"projects"})
    f.make_contact(customer, first_name="David", last_name="Dev", permissions={"projects"}, notifications={"project"})
    page = contacts_tab(admin_client, customer)
    for key in NEVER_FOR_PROJECTS_ONLY:  # no contact may use these features: no warning
        assert f'data-testid="unreached-{key}"' not in page
    assert 'data-testid="unreached-project"' not in page  # David receives it
    task = warning_item(page, "task")
    assert "Nobody at Acme receives Task emails automatically." in task
    assert "pick recipients by hand" not in task  # task emails have no send dialog
    assert "Anna Lead" in task and "David Dev" in task
    assert f'href="/admin/contacts/{anna.id}/edit#notifications"' in task


def test_invoice_toggle_off_is_named_with_the_contact_who_could_receive_it(admin_client, f):
    customer = f.make_customer("Solo Bakery")
    olga = f.make_contact(customer, first_name="Olga", last_name="Baker", permissions={"invoices", "support"})
    gone = f.make_contact(customer, first_name="Gone", last_name="Away", permissions={"invoices"}, active=False)
    page = contacts_tab(admin_client, customer)
    invoice = warning_item(page, "invoice")
    assert invoice.startswith(
        "Nobody at Solo Bakery receives Invoice emails automatically. "
        "You can still pick recipients by hand when you send."
    )
    assert "Could receive them (Invoices permission):" in invoice
    link = f'<a href="/admin/contacts/{olga.id}/edit#notifications" class="alert-link" data-testid="candidate">'
    assert f"{link}Olga Baker</a>" in invoice
    assert "Gone Away" not in invoice and f"/admin/contacts/{gone.id}/" not in invoice  # may not log in
    assert 'data-testid="unreached-estimate"' not in page  # nobody holds Estimates
    # The link leads to the contact form's notifications.
    form = admin_client.get(f"/admin/contacts/{olga.id}/edit").get_data(as_text=True)
    assert 'id="notifications"' in form

    # The send dialog says the same sentence.
    draft = f.make_invoice(customer, number="INV-1")
    dialog = admin_client.get(f"/admin/invoices/{draft.id}/send").get_data(as_text=True)
    sentence = "Nobody at Solo Bakery receives Invoice emails automatically. You can still pick recipients by hand"
    assert sentence in " ".join(dialog.split())


def test_no_warning_when_every_usable_notification_reaches_someone(admin_client, f):
    customer = f.make_customer("Globex")
    f.make_contact(customer, permissions={"support"}, notifications={"ticket"})
    f.make_contact(customer, permissions={"invoices"}, notifications={"invoice", "credit_note"})
    assert 'data-testid="unreached-warning"' not in contacts_tab(admin_client, customer)


def test_the_warning_in_german(admin_client, f):
    customer = f.make_customer("Bäckerei Solo")
    f.make_contact(customer, first_name="Olga", last_name="Baker", permissions={"invoices"})
    db.session.execute(StaffUser.__table__.update().values(language="de"))
    db.session.commit()
    page = contacts_tab(admin_client, customer)
    invoice = warning_item(page, "invoice")
    assert invoice.startswith(
        "Niemand bei Bäckerei Solo erhält automatisch E-Mails zu „Rechnung“. "
        "Beim Senden können Sie die Empfänger trotzdem von Hand auswählen."
    )
    assert "Könnten sie erhalten (Berechtigung „Rechnungen“):" in invoice
    draft = f.make_invoice(customer, number="INV-1")
    dialog = " ".join(admin_client.get(f"/admin/invoices/{draft.id}/send").get_data(as_text=True).split())
    assert "Niemand bei Bäckerei Solo erhält automatisch E-Mails zu „Rechnung“." in dialog


def test_row_actions_are_one_menu_with_the_destructive_ones_apart_and_confirmed(admin_client, f):
    customer = f.make_customer("Acme")
    f.make_contact(customer, first_name="Anna", last_name="Lead")
    bob = f.make_contact(customer, first_name="Bob", last_name="Other", email="bob@acme.example")
    row = contacts_tab(admin_client, customer).split('data-contact="bob@acme.example"')[1].split("</tr>")[0]
    assert 'data-bs-toggle="dropdown"' in row and 'aria-label="Actions for Bob Other"' in row
    menu = row.split('class="dropdown-menu')[1]
    order = [menu.index(label) for label in ("Send invitation", "Log in as", "Make primary", "dropdown-divider")]
    order += [menu.index(">Deactivate<"), menu.index(">Delete<")]
    assert order == sorted(order)
    forms = re.findall(r"<form [^>]*>.*?</form>", menu, re.S)
    assert len(forms) == 5
    for form in forms:  # each action is its own POST with a one-time key and the CSRF token
        assert 'method="post"' in form and 'name="csrf_token"' in form and 'name="form_key"' in form
    deactivate, delete = forms[3], forms[4]
    assert f'action="/admin/contacts/{bob.id}/deactivate"' in deactivate and "data-confirm=" in deactivate
    assert f'action="/admin/contacts/{bob.id}/delete"' in delete
    assert 'data-confirm="Delete Bob Other? The customer\'s documents are kept."' in delete


# --- The contact form: invite by email, or set a password now -----------------------------


def new_contact(client, customer, **fields):
    return client.post(f"/admin/customers/{customer.id}/contacts/new", data=contact_form(**fields))


def test_the_form_offers_one_choice_and_invites_by_default(admin_client, f):
    customer = f.make_customer()
    page = admin_client.get(f"/admin/customers/{customer.id}/contacts/new").get_data(as_text=True)
    assert "How does this contact get access?" in page
    assert re.search(r'<input checked[^>]*name="access"[^>]*value="invite"', page)
    assert 'value="password"' in page and 'data-shown-when="access=password"' in page
    assert "send_invitation" not in page and "Leave empty to invite later" not in page


def test_default_choice_emails_an_invitation_and_ignores_a_typed_password(app, admin_client, f):
    customer = f.make_customer()
    response = new_contact(admin_client, customer, access="invite", password="typed before choosing")
    assert response.status_code == 302
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert contact.password_hash is None  # the hidden field was not read
    assert [(r.event, r.to_address) for r in outbox()] == [("invitation", "nina@example.com")]
    assert login(app.test_client(), contact, "typed before choosing").status_code == 200  # refused


def test_set_now_without_a_password_is_refused_and_creates_nothing(admin_client, f):
    customer = f.make_customer()
    response = new_contact(admin_client, customer, access="password", password="")
    assert response.status_code == 200
    assert "Type the password to set, or choose another option." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Contact.id))) == 0
    assert outbox() == []


def test_set_now_with_a_good_password_creates_a_contact_who_can_log_in_and_emails_no_invitation(app, admin_client, f):
    customer = f.make_customer()
    response = new_contact(admin_client, customer, access="password", password="a good long password")
    assert response.status_code == 302
    contact = db.session.scalar(select(Contact).where(Contact.email == "nina@example.com"))
    assert login(app.test_client(), contact, "a good long password").status_code == 302
    assert outbox("invitation") == []


def test_editing_can_email_a_password_link_and_otherwise_leaves_the_password(admin_client, f):
    contact = f.make_contact(email="nina@example.com", first_name="Nina", last_name="Neu")
    password_hash = contact.password_hash
    page = admin_client.get(f"/admin/contacts/{contact.id}/edit").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="access"[^>]*value="keep"', page)
    edit = {"email": contact.email, "is_primary": "y", "password": "never read here"}
    response = admin_client.post(f"/admin/contacts/{contact.id}/edit", data=contact_form(**edit, access="keep"))
    assert response.status_code == 302
    db.session.expire_all()
    assert contact.password_hash == password_hash and outbox() == []
    edit["version"] = contact.version
    response = admin_client.post(f"/admin/contacts/{contact.id}/edit", data=contact_form(**edit, access="invite"))
    assert response.status_code == 302
    db.session.expire_all()
    assert contact.password_hash == password_hash
    assert [(r.event, r.to_address) for r in outbox()] == [("invitation", "nina@example.com")]


def test_clerks_are_not_offered_to_set_a_password(app, f):
    customer = f.make_customer()
    create_staff("clerk@example.com", "Clerk", PASSWORD, is_admin=False)
    clerk = app.test_client()
    assert clerk.post("/admin/login", data={"email": "clerk@example.com", "password": PASSWORD}).status_code == 302
    page = clerk.get(f"/admin/customers/{customer.id}/contacts/new").get_data(as_text=True)
    assert 'value="invite"' in page and 'value="password"' not in page
