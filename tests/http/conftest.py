"""Fixtures shared by several HTTP test files: each group serves the files of one topic (a test
file split by topic keeps its fixtures here, once)."""

from __future__ import annotations

import secrets

import pytest

from core.catalogs import PERMISSION_KEYS
from core.services.projects import set_project_settings
from tests.conftest import login
from tests.http.attack_helpers import login_staff
from tests.http.helpers.admin_projects import ALL_SETTINGS
from tests.http.helpers.fuzz_forms import contact_client
from tests.http.helpers.portal_company import client_of, manage_contacts
from tests.payments_server import localstripe, stripe_on  # noqa: F401  (fixtures: card payments)

# -- admin projects (test_admin_project*.py) -------------------------------------------------------


@pytest.fixture
def acme(f):
    """A customer whose contacts have different project/task toggles, and a shared project."""
    customer = f.make_customer("Acme Builders")
    f.make_contact(customer, email="both@acme.example", notifications={"project", "task"})
    f.make_contact(customer, email="task@acme.example", notifications={"task"})
    f.make_contact(customer, email="project@acme.example", notifications={"project"})
    f.make_contact(customer, email="quiet@acme.example", password=None)
    f.make_contact(customer, email="inv@acme.example", permissions={"invoices"}, notifications={"invoice"})
    project = f.make_project(customer, name="Tower", tasks=[("Pour concrete", True), ("Cost review", False)])
    set_project_settings(project, ALL_SETTINGS)
    return project


# -- contact sessions (test_portal_session.py, test_portal_profile.py) -----------------------------


@pytest.fixture
def new_client(app):
    """More clients (other browsers) for the same test."""
    return app.test_client


# -- support tickets (test_portal_support*.py) -----------------------------------------------------


@pytest.fixture
def staff(f):
    return f.make_staff(email="support@example.com", name="Sue Support")


@pytest.fixture
def setup(f, client):
    """A logged-in contact with Support, a colleague, and another customer with a contact."""
    mine = f.make_customer("Acme")
    me = f.make_contact(mine, first_name="Mia", notifications={"ticket"})
    colleague = f.make_contact(mine, first_name="Carl", notifications={"ticket"})
    theirs = f.make_customer("Globex")
    stranger = f.make_contact(theirs, password=None)
    assert login(client, me).status_code == 302
    return mine, me, colleague, theirs, stranger


# -- sales documents (test_portal_sales*.py) -------------------------------------------------------


@pytest.fixture
def world(app, f):
    """Two staff, our customer with a logged-in contact holding every permission (and the
    Estimate toggle), a colleague with the toggle, one without; another customer whose contact
    (also with the toggle) is logged in on a second client; a contact with no permission."""
    staff = [f.make_staff(), f.make_staff()]
    customer = f.make_customer("Acme")
    me = f.make_contact(customer, first_name="Anna", last_name="Able", notifications={"estimate"})
    colleague = f.make_contact(customer, first_name="Carl", notifications={"estimate"})
    f.make_contact(customer, first_name="Quiet", notifications=set())
    nothing = f.make_contact(customer, first_name="Nora", permissions=set())
    other_customer = f.make_customer("Globex")
    stranger = f.make_contact(other_customer, first_name="Stan", notifications={"estimate"})

    def client_for(contact):
        client = app.test_client()
        assert login(client, contact).status_code == 302
        return client

    return {
        "staff": staff,
        "customer": customer,
        "me": me,
        "colleague": colleague,
        "other_customer": other_customer,
        "client": client_for(me),
        "stranger": client_for(stranger),
        "nothing": client_for(nothing),
    }


# -- company page and colleagues (test_portal_company*.py) -----------------------------------------


@pytest.fixture
def acme_ltd(app, f):
    """Acme with a primary contact (Invoices, Support, Projects) and one colleague, plus a stranger."""
    customer = f.make_customer("Acme Ltd", vat_number="DE1", city="Berlin", currency="EUR")
    primary = f.make_contact(
        customer, first_name="Anna", email="anna@acme.example", permissions={"invoices", "support", "projects"}
    )
    colleague = f.make_contact(
        customer,
        first_name="David",
        email="david@acme.example",
        permissions={"projects"},
        notifications={"project"},
    )
    stranger = f.make_contact(f.make_customer("Globex"), first_name="Sam", email="sam@globex.example")
    assert primary.is_primary and not colleague.is_primary
    return customer, primary, colleague, stranger


@pytest.fixture
def manager(app, acme_ltd):
    """The primary contact of Acme Ltd logged in, with the setting that lets it manage colleagues on."""
    manage_contacts()
    return client_of(app, acme_ltd[1])


# -- form fuzzing (test_fuzz_*.py) -----------------------------------------------------------------


@pytest.fixture
def fuzz_world(app, f, tmp_path):
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


@pytest.fixture
def fuzz_staff(app, f):
    f.make_staff(email="fuzz-admin@example.com")
    client = app.test_client()
    login_staff(client, "fuzz-admin@example.com", csrf=True)
    return client


@pytest.fixture
def primary_client(app, fuzz_world):
    return contact_client(app, "primary@acme.example")


@pytest.fixture
def own_ticket(fuzz_world, f):
    return f.make_ticket(fuzz_world["a"], fuzz_world["primary"], subject="Printer on fire")


@pytest.fixture
def own_proposal(fuzz_world, f):
    return f.make_proposal(fuzz_world["a"], subject="Roof repair")


@pytest.fixture
def colleague(fuzz_world, f):
    return f.make_contact(fuzz_world["a"], email="colleague@acme.example", first_name="Cole")
