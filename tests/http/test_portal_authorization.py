"""Who may open which customer-area page: generated from the matrix in ``authz_matrix``.

For every route x contact (``contacts_for``: permission sets, or role and setting for the
company pages) x own/foreign object (``targets_for``): the allowed status when permitted and
own; 403 ("Access denied", no data, nothing changed) whenever a permission or the rule is
missing, for own and foreign objects alike (one test requests both); 404 ("Not found") for a
permitted foreign object or a foreign item reached through an own object. A refused form
request (403/404) changes no row; a foreign object's identifying text (number, subject, name,
file bytes) never appears in any response.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from core.catalogs import PERMISSION_KEYS, PERMISSIONS
from core.services.settings import PRIMARY_MANAGES_CONTACTS, set_settings
from portal import guards
from portal.features.projects.access import TABS
from tests.conftest import login

from .authz_matrix import (
    DETAIL_ROUTES,
    PUBLIC_ENDPOINTS,
    ROUTES,
    RULES,
    Route,
    Who,
    contacts_for,
    expected_status,
    targets_for,
)
from .authz_objects import DOCUMENT_KINDS, KIND_IDS, OBJECT_KINDS, Built, build, fingerprint, readable, tag

ALL = frozenset(PERMISSION_KEYS)
SAMPLE_IDS = {"id": 4321, "sub_id": 8765}

# Generated cases that reveal an app bug: {test id: reason}. Each is marked xfail(strict=True),
# so it fails loudly once the bug is fixed and the entry must go.
KNOWN_BUGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def _upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(autouse=True)
def uploads(app, _upload_dir):
    app.config["UPLOAD_FOLDER"] = str(_upload_dir)
    return _upload_dir


def _cases():
    for route in ROUTES:
        for who in contacts_for(route):
            # One test per expected status: the targets refused alike are requested in one test
            # (403 before any lookup: own and foreign; 404: a foreign object and a foreign item).
            groups: dict[int, list[str]] = {}
            for target in targets_for(route):
                groups.setdefault(expected_status(route, who, target), []).append(target)
            for status, targets in groups.items():
                case_id = f"{route.name}-{who.id}-{'+'.join(targets)}-{status}"
                marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[case_id])] if case_id in KNOWN_BUGS else []
                yield pytest.param(route, who, tuple(targets), status, id=case_id, marks=marks)


CASES = list(_cases())


def _rule_of(app, route: Route):
    """The URL rule the app matches for the row's URL and method (None when none matches)."""
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(route.url_for(SAMPLE_IDS), method=route.method, return_rule=True)
    except (HTTPException, RequestRedirect):
        return None
    return rule


# -- the matrix itself ----------------------------------------------------------------------


def test_every_portal_route_is_in_the_matrix(app):
    """Every URL rule of a non-public portal endpoint is requested by at least one row.

    An endpoint with several URL rules (``two_factor``) needs a row per rule; one rule with a
    choice in it (``set_active``'s activate/deactivate) has a row per choice.
    """
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.")]
    requested = {(rule.endpoint, rule.rule) for rule in (_rule_of(app, route) for route in ROUTES) if rule}
    missing = sorted(
        f"{r.endpoint} {r.rule}"
        for r in rules
        if r.endpoint not in PUBLIC_ENDPOINTS and (r.endpoint, r.rule) not in requested
    )
    assert not missing, f"portal routes not in tests/http/authz_matrix.py: {missing}"
    endpoints = {r.endpoint for r in rules}
    stale = sorted(({r.endpoint for r in ROUTES} | PUBLIC_ENDPOINTS) - endpoints)
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"
    assert not {r.endpoint for r in ROUTES} & PUBLIC_ENDPOINTS


def test_public_list_matches_the_app(app):
    """Making another portal endpoint public must be a deliberate change here too."""
    assert set(guards.PUBLIC_ENDPOINTS) == set(PUBLIC_ENDPOINTS)


def test_matrix_rows_are_well_formed(app):
    for route in ROUTES:
        assert route.permission is None or route.permission in PERMISSION_KEYS, route
        assert set(route.requires) <= PERMISSION_KEYS and (route.permission or not route.requires), route
        assert route.rule is None or (route.rule in RULES and not route.permissions), route
        assert route.loads is None or route.loads in OBJECT_KINDS, route
        assert route.lists is None or route.lists in OBJECT_KINDS, route
        assert not (route.loads and route.lists), route
        if route.loads:
            assert "id" in route.placeholders and set(route.placeholders) <= set(KIND_IDS[route.loads]), route
        else:
            assert not route.placeholders, route
        rule = _rule_of(app, route)
        assert rule is not None and rule.endpoint == route.endpoint, (route, rule)
    names = [route.name for route in ROUTES]
    assert len(names) == len(set(names)), "give rows of the same endpoint a variant"
    # Every permission of the catalog guards at least one route, and every kind is used somewhere.
    assert {key for r in ROUTES for key in r.permissions} == set(PERMISSION_KEYS)
    assert {r.loads for r in DETAIL_ROUTES} | {r.lists for r in ROUTES if r.lists} == set(OBJECT_KINDS)
    assert {r.rule for r in ROUTES if r.rule} == set(RULES)


def test_project_tabs_need_the_permissions_the_app_names(app):
    """The matrix's ``requires`` of each project tab agrees with the app's tab table."""
    by_endpoint = {r.endpoint: r for r in ROUTES}
    for tab in TABS:
        route = by_endpoint[tab.endpoint]
        assert route.permissions == ("projects", *((tab.permission,) if tab.permission else ())), tab


def test_every_route_gets_an_allowed_a_refused_and_a_foreign_case():
    for route in ROUTES:
        cases = [p.values for p in CASES if p.values[0] is route]
        statuses = {status for _, _, _, status in cases}
        assert route.ok in statuses, route
        assert route.permission is None and route.rule is None or 403 in statuses, route
        if route.loads:
            assert any("foreign" in targets and status == 404 for _, _, targets, status in cases), route
        if "sub_id" in route.placeholders:
            assert any("mixed" in targets and status == 404 for _, _, targets, status in cases), route
    assert set(KNOWN_BUGS) <= {case.id for case in CASES}, "KNOWN_BUGS names a case that is not generated"


# -- generated from the matrix ---------------------------------------------------------------


def _ids(target: str, own: Built, foreign: Built) -> dict[str, int]:
    if target == "own":
        return own.ids
    if target == "foreign":
        return foreign.ids
    if target == "mixed":
        return {**own.ids, "sub_id": foreign.ids["sub_id"]}
    return {}


@pytest.mark.parametrize(("route", "who", "targets", "status"), CASES)
def test_access(client, f, route: Route, who: Who, targets, status):
    mine, theirs = f.make_customer(), f.make_customer()
    if not who.primary:
        f.make_contact(mine, password=None)  # the customer's first contact: its primary contact
    me = f.make_contact(mine, permissions=who.permissions)
    assert me.is_primary == who.primary
    them = f.make_contact(theirs, password=None)  # never logs in: skip hashing
    if route.rule:
        set_settings({PRIMARY_MANAGES_CONTACTS: "1" if who.manages_contacts else "0"})
    kinds = [route.loads or route.lists] if (route.loads or route.lists) else list(DOCUMENT_KINDS)
    own = [build(kind, mine, me) for kind in kinds]
    foreign = [build(kind, theirs, them) for kind in kinds]
    own_texts, foreign_texts = [b.text for b in own], [b.text for b in foreign]
    assert login(client, me).status_code == 302
    check_unchanged = route.method != "GET" and status in (403, 404)
    if check_unchanged:
        before = fingerprint([row for b in own + foreign for row in b.rows])

    for target in targets:
        url = route.url_for(_ids(target, own[0], foreign[0]))
        response = client.open(url, method=route.method)
        body = readable(response)
        headers = f"{response.headers.get('Location', '')} {response.headers.get('Content-Disposition', '')}"
        response.close()

        assert response.status_code == status, (route.method, url, target, sorted(who.permissions))
        for text in foreign_texts:
            assert text not in body and text not in headers, (url, text)
        if status == 403:
            assert "Access denied" in body
            for text in own_texts:
                assert text not in body and text not in headers, (url, text)
        elif status == 404:
            assert "Not found" in body
        elif status == 302:
            assert not urlsplit(response.headers["Location"]).path.startswith("/login")
        elif route.download:
            assert response.mimetype == "application/pdf" and body.startswith("%PDF")
            assert response.headers["Content-Disposition"].startswith("attachment")
        elif route.json:
            assert response.mimetype == "application/json"
        else:
            assert response.mimetype == "text/html"
        if status == route.ok == 200 and (route.loads or route.lists):
            assert own_texts[0] in body, (url, own_texts[0])

    if check_unchanged:
        assert fingerprint([row for b in own + foreign for row in b.rows]) == before, "a refused request changed data"


def _section(route: Route) -> str:
    """The blueprint part of an endpoint ("invoices", "colleagues"), or "account" for the portal's own."""
    parts = route.endpoint.split(".")
    return parts[1] if len(parts) > 2 else "account"


SECTIONS: dict[str, list[Route]] = {}
for _route in ROUTES:
    SECTIONS.setdefault(_section(_route), []).append(_route)


@pytest.mark.parametrize("section", SECTIONS)
def test_logged_out_visitor_is_sent_to_login(client, f, section):
    """Every route of the section (one test per section: it only needs one object per kind)."""
    customer = f.make_customer()
    contact = f.make_contact(customer, password=None)
    built: dict[str, Built] = {}
    failures = []
    for route in SECTIONS[section]:
        kind = route.loads or route.lists
        if kind and kind not in built:
            built[kind] = build(kind, customer, contact)
        path = route.url_for(built[kind].ids if kind else None)

        response = client.open(path, method=route.method)

        location = urlsplit(response.headers.get("Location", ""))
        if (
            response.status_code != 302
            or (location.scheme, location.netloc, location.path) != ("", "", "/login")
            or parse_qs(location.query) != {"next": [path]}
            or (kind and built[kind].text in response.get_data(as_text=True))
        ):
            failures.append((route.name, route.method, path, response.status_code, response.headers.get("Location")))
    assert not failures


def test_logged_out_next_keeps_the_query_string(client):
    response = client.get("/invoices?status=paid")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"next": ["/invoices?status=paid"]}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_login_verify_without_a_pending_login_sends_to_login(client, f, method):
    """The one public page of the login flow: without a pending login it shows nothing."""
    response = client.open("/login/verify", method=method, data={"code": "123456"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert urlsplit(client.get("/dashboard").headers["Location"]).path == "/login"  # still logged out


def test_return_to_admin_works_for_staff_logged_in_as_the_contact(admin_client, f):
    """The matrix's 403 for a plain contact is not a blanket refusal."""
    contact = f.make_contact()
    assert admin_client.post(f"/admin/contacts/{contact.id}/login-as").status_code == 302
    response = admin_client.post("/return-to-admin")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/customers/{contact.customer_id}/contacts"


@pytest.mark.parametrize(
    ("kind", "detail", "index"),
    [
        ("invoice", "/invoices/{id}", "/invoices"),
        ("estimate", "/estimates/{id}", "/estimates"),
        ("proposal", "/proposals/{id}", "/proposals"),
    ],
    ids=["invoice", "estimate", "proposal"],
)
def test_drafts_are_not_in_the_customer_area(client, f, kind, detail, index):
    customer = f.make_customer()
    me = f.make_contact(customer, permissions=ALL)
    draft = {
        "invoice": lambda: f.make_invoice(customer, status="draft"),
        "estimate": lambda: f.make_estimate(customer, status="draft"),
        "proposal": lambda: f.make_proposal(customer, status="draft", subject=tag("Draft proposal")),
    }[kind]()
    draft_text = draft.subject if kind == "proposal" else draft.number
    sent = build(kind, customer, me)
    login(client, me)

    assert client.get(detail.format(id=sent.ids["id"])).status_code == 200  # the same page works for a non-draft
    response = client.get(detail.format(id=draft.id))
    assert response.status_code == 404
    assert draft_text not in response.get_data(as_text=True)
    listing = client.get(index).get_data(as_text=True)
    assert sent.text in listing
    assert draft_text not in listing


@pytest.mark.parametrize("permission", [p.key for p in PERMISSIONS])
def test_missing_permission_hides_the_feature_on_the_dashboard(client, f, permission):
    """The dashboard (no permission needed) shows no panel of a feature the contact lacks."""
    me = f.make_contact(permissions=ALL - {permission})
    login(client, me)
    body = client.get("/dashboard").get_data(as_text=True)
    assert f'data-panel="{permission}"' not in body
    for other in ALL - {permission}:
        assert f'data-panel="{other}"' in body
