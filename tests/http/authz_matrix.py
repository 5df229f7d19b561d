"""The customer area's authorization matrix, kept as data.

One row per customer-area URL: the URL template, the permission it needs (a key of
``core.catalogs.PERMISSIONS``, or None when any logged-in active contact may open it) and the
kind of object whose ids fill the template (None when it has no ids). In the template ``{id}``
stands for that object's id and ``{sub_id}`` for the id of an item reached through it (a task
of a project, a file of a ticket): ``authz_objects`` builds each kind and says which ids it
fills. A row that loads nothing may name the kind it lists, so own/foreign visibility is
checked on it too. Form routes (POST) give the method and the status of an allowed request
(they are requested with an empty form). Beyond that, a row may say:

- ``requires``: permissions needed besides ``permission`` (a project's invoices tab needs
  Projects and Invoices); all of them are checked before any object is looked up (403);
- ``rule``: instead of a permission, who the route is for (see ``RULES``: the company pages);
- ``download``: an allowed response is a file (a PDF), not an HTML page;
- ``json``: an allowed response is JSON (the passkey ceremony's endpoints);
- ``variant``: tells apart the rows of one endpoint with several URLs or methods.

``test_portal_authorization`` generates its tests from these rows and fails when a
``portal.*`` URL rule exists that no row requests and is not in ``PUBLIC_ENDPOINTS``: a new
route has to be added to this file (and so gets tested) before the suite passes again.

``portal.return_to_admin`` is a normal logged-in row (permission None) whose status for a
plain contact is 403: only a session of staff logged in as the contact may use it (that
case: ``test_return_to_admin_works_for_staff_logged_in_as_the_contact``).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from core.catalogs import PERMISSION_KEYS, PERMISSIONS

RULES: dict[str, str] = {
    "primary": "the customer's primary contact only",
    "primary_and_setting": "the primary contact, while the setting PRIMARY_MANAGES_CONTACTS is on",
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    url: str
    permission: str | None  # None: no permission needed (still a logged-in contact)
    loads: str | None  # kind of object whose ids fill the URL; None when it has none
    lists: str | None = None  # kind of object a page without ids shows (None: shows no documents)
    method: str = "GET"
    ok: int = 200  # the status when permitted (a form route may redirect after saving)
    requires: tuple[str, ...] = ()  # permissions needed besides ``permission``
    rule: str | None = None  # a key of RULES, for routes guarded by a rule instead of a permission
    download: bool = False  # when permitted: a file download, not an HTML page
    json: bool = False  # when permitted: a JSON answer (the passkey ceremony's endpoints)
    variant: str = ""  # distinguishes rows of the same endpoint in test ids

    @property
    def name(self) -> str:
        """A readable test id, e.g. ``invoices.detail`` or ``two_factor:disable``."""
        name = self.endpoint.removeprefix("portal.")
        return f"{name}:{self.variant}" if self.variant else name

    @property
    def permissions(self) -> tuple[str, ...]:
        """Every permission the route needs."""
        return ((self.permission,) if self.permission else ()) + self.requires

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(field for _, field, _, _ in Formatter().parse(self.url) if field)

    def url_for(self, ids: dict[str, int] | None = None) -> str:
        return self.url.format(**(ids or {}))


# Pages of the customer area: tested with no permission, each single permission, and all.
PAGES: tuple[Route, ...] = (
    Route("portal.dashboard", "/dashboard", None, None),
    Route("portal.profile", "/profile", None, None),
    Route("portal.change_password", "/profile/password", None, None, method="POST"),
    Route("portal.notification_preferences", "/profile/notifications", None, None, method="POST", ok=302),
    Route("portal.invoices.index", "/invoices", "invoices", None, lists="invoice"),
    Route("portal.invoices.detail", "/invoices/{id}", "invoices", "invoice"),
    Route("portal.invoices.credit_notes", "/credit-notes", "invoices", None, lists="credit_note"),
    Route("portal.invoices.credit_note", "/credit-notes/{id}", "invoices", "credit_note"),
    Route("portal.estimates.index", "/estimates", "estimates", None, lists="estimate"),
    Route("portal.estimates.detail", "/estimates/{id}", "estimates", "estimate"),
    Route("portal.contracts.index", "/contracts", "contracts", None, lists="contract"),
    Route("portal.contracts.detail", "/contracts/{id}", "contracts", "contract"),
    Route("portal.proposals.index", "/proposals", "proposals", None, lists="proposal"),
    Route("portal.proposals.detail", "/proposals/{id}", "proposals", "proposal"),
    Route("portal.tickets.index", "/tickets", "support", None, lists="ticket"),
    Route("portal.tickets.detail", "/tickets/{id}", "support", "ticket"),
    Route("portal.projects.index", "/projects", "projects", None, lists="project"),
    Route("portal.projects.detail", "/projects/{id}", "projects", "project"),
)

# Downloads, actions and sub-pages of a feature, and further account pages: tested with no
# permission, the needed permission(s) alone (each, and together), and all.
SUB_ROUTES: tuple[Route, ...] = (
    # Account
    Route("portal.two_factor", "/profile/two-factor", None, None),
    Route("portal.two_factor", "/profile/two-factor/disable", None, None, method="POST", ok=302, variant="disable"),
    Route("portal.return_to_admin", "/return-to-admin", None, None, method="POST", ok=403),
    # Passkeys: the page lists only the contact's own; another's passkey does not exist (404).
    # Options answer JSON; a registration posted without the ceremony's JSON is a 400.
    Route("portal.passkeys", "/profile/passkeys", None, None, lists="passkey"),
    Route("portal.passkey_options", "/profile/passkeys/options", None, None, method="POST", json=True),
    Route("portal.passkey_register", "/profile/passkeys/new", None, None, method="POST", ok=400, json=True),
    Route("portal.passkey_rename", "/profile/passkeys/{id}/rename", None, "passkey", method="POST", ok=302),
    Route("portal.passkey_remove", "/profile/passkeys/{id}/remove", None, "passkey", method="POST", ok=302),
    # Sales
    Route("portal.invoices.invoice_pdf", "/invoices/{id}/pdf", "invoices", "invoice", download=True),
    Route("portal.invoices.credit_note_pdf", "/credit-notes/{id}/pdf", "invoices", "credit_note", download=True),
    Route("portal.invoices.statement", "/statement", "invoices", None),
    Route("portal.invoices.statement_download", "/statement.pdf", "invoices", None, download=True),
    # Card payments need Invoices; the matrix runs without Stripe configured, where a permitted
    # request finds no pay route (404). With localstripe: tests/http/test_card_payments.py.
    Route("portal.payments.start", "/invoices/{id}/pay", "invoices", "invoice", method="POST", ok=404),
    Route("portal.payments.card", "/invoices/{id}/pay/card", "invoices", "invoice", ok=404),
    Route("portal.payments.confirm", "/invoices/{id}/pay/confirm", "invoices", "invoice", method="POST", ok=404),
    Route("portal.payments.finish", "/invoices/{id}/pay/return", "invoices", "invoice", method="POST", ok=404),
    # "Pay selected" (several invoices at once): likewise 404 without Stripe and its setting.
    Route("portal.payments_several.start", "/invoices/pay-selected", "invoices", None, method="POST", ok=404),
    Route("portal.payments_several.card", "/invoices/pay-selected/1", "invoices", None, ok=404),
    Route(
        "portal.payments_several.confirm", "/invoices/pay-selected/1/confirm", "invoices", None, method="POST", ok=404
    ),
    Route("portal.payments_several.finish", "/invoices/pay-selected/1/return", "invoices", None, method="POST", ok=404),
    Route("portal.estimates.estimate_pdf", "/estimates/{id}/pdf", "estimates", "estimate", download=True),
    Route("portal.estimates.accept", "/estimates/{id}/accept", "estimates", "estimate", method="POST"),
    Route("portal.estimates.decline", "/estimates/{id}/decline", "estimates", "estimate", method="POST", ok=302),
    Route("portal.contracts.contract_pdf", "/contracts/{id}/pdf", "contracts", "contract", download=True),
    Route("portal.contracts.sign", "/contracts/{id}/sign", "contracts", "contract", method="POST"),
    Route("portal.proposals.accept", "/proposals/{id}/accept", "proposals", "proposal", method="POST"),
    Route("portal.proposals.decline", "/proposals/{id}/decline", "proposals", "proposal", method="POST", ok=302),
    Route("portal.proposals.comment", "/proposals/{id}/comments", "proposals", "proposal", method="POST"),
    # Support
    Route("portal.tickets.new", "/tickets/new", "support", None),
    Route("portal.tickets.new", "/tickets/new", "support", None, method="POST", variant="post"),
    Route("portal.tickets.reply", "/tickets/{id}/reply", "support", "ticket", method="POST"),
    Route("portal.tickets.close", "/tickets/{id}/close", "support", "ticket", method="POST", ok=302),
    Route("portal.tickets.download", "/tickets/{id}/files/{sub_id}", "support", "ticket_file", download=True),
    # Projects: every item is loaded through the project ({id}); the project has every setting on.
    Route("portal.projects.tasks", "/projects/{id}/tasks", "projects", "project_task"),
    Route("portal.projects.task", "/projects/{id}/tasks/{sub_id}", "projects", "project_task"),
    Route(
        "portal.projects.task_comment",
        "/projects/{id}/tasks/{sub_id}/comments",
        "projects",
        "project_task",
        method="POST",
        ok=302,
    ),
    Route("portal.projects.milestones", "/projects/{id}/milestones", "projects", "project_milestone"),
    Route("portal.projects.files", "/projects/{id}/files", "projects", "project_file"),
    Route("portal.projects.file_upload", "/projects/{id}/files", "projects", "project_file", method="POST", ok=302),
    Route("portal.projects.file", "/projects/{id}/files/{sub_id}", "projects", "project_file", download=True),
    Route("portal.projects.discussions", "/projects/{id}/discussions", "projects", "project_discussion"),
    Route("portal.projects.discussion", "/projects/{id}/discussions/{sub_id}", "projects", "project_discussion"),
    Route(
        "portal.projects.discussion_comment",
        "/projects/{id}/discussions/{sub_id}/comments",
        "projects",
        "project_discussion",
        method="POST",
        ok=302,
    ),
    # A project's document tabs also need the permission of that kind of document.
    Route("portal.projects.invoices", "/projects/{id}/invoices", "projects", "project_invoice", requires=("invoices",)),
    Route(
        "portal.projects.estimates", "/projects/{id}/estimates", "projects", "project_estimate", requires=("estimates",)
    ),
    Route(
        "portal.projects.contracts", "/projects/{id}/contracts", "projects", "project_contract", requires=("contracts",)
    ),
    Route(
        "portal.projects.proposals", "/projects/{id}/proposals", "projects", "project_proposal", requires=("proposals",)
    ),
    Route("portal.projects.tickets", "/projects/{id}/tickets", "projects", "project_ticket", requires=("support",)),
)

# The company pages: no permission, a rule. Tested as the primary contact (holding no permission)
# and as another contact (holding every permission), with the setting on and off.
COMPANY_ROUTES: tuple[Route, ...] = (
    Route("portal.company.details", "/company", None, None, rule="primary"),
    Route("portal.colleagues.index", "/company/contacts", None, None, lists="colleague", rule="primary_and_setting"),
    Route("portal.colleagues.invite", "/company/contacts/new", None, None, rule="primary_and_setting"),
    Route("portal.colleagues.edit", "/company/contacts/{id}", None, "colleague", rule="primary_and_setting"),
    *(
        Route(
            "portal.colleagues.set_active",
            f"/company/contacts/{{id}}/{action}",
            None,
            "colleague",
            method="POST",
            ok=302,
            rule="primary_and_setting",
            variant=action,
        )
        for action in ("activate", "deactivate")
    ),
)

ROUTES: tuple[Route, ...] = PAGES + SUB_ROUTES + COMPANY_ROUTES

# Portal endpoints reachable without a logged-in contact. Must match portal.guards.PUBLIC_ENDPOINTS.
PUBLIC_ENDPOINTS: frozenset[str] = frozenset(
    {
        "portal.index",
        "portal.login",
        "portal.logout",
        # The second step of a two-factor login: it checks the pending login in the session
        # itself and sends anyone without one to /login.
        "portal.login_verify",
        # Reached from emails; each checks its own signed token instead of a session.
        "portal.forgot_password",
        "portal.set_password",
        "portal.reset_password",
        "portal.unsubscribe",
        "portal.request_sign_in_link",
        "portal.sign_in_link",
        # Signing in with a passkey: the passkey is the credential.
        "portal.passkey_login_options",
        "portal.passkey_login",
    }
)

DETAIL_ROUTES: tuple[Route, ...] = tuple(r for r in ROUTES if r.loads)


@dataclass(frozen=True)
class Who:
    """The logged-in contact of a generated test."""

    id: str  # readable, for the test id
    permissions: frozenset[str]
    primary: bool = True  # the customer's first contact is its primary contact
    manages_contacts: bool = False  # the setting PRIMARY_MANAGES_CONTACTS (only set for rule routes)


ALL_PERMISSIONS = frozenset(PERMISSION_KEYS)

# Each single permission alone, none, and all.
PERMISSION_SETS: tuple[Who, ...] = (
    Who("none", frozenset()),
    *(Who(f"only-{p.key}", frozenset({p.key})) for p in PERMISSIONS),
    Who("all", ALL_PERMISSIONS),
)

# For rule routes: the role and the setting decide, permissions do not.
COMPANY_CONTACTS: tuple[Who, ...] = tuple(
    Who(f"{role}-setting_{'on' if on else 'off'}", perms, primary=primary, manages_contacts=on)
    for role, primary, perms in (("primary", True, frozenset()), ("colleague", False, ALL_PERMISSIONS))
    for on in (True, False)
)


def contacts_for(route: Route) -> tuple[Who, ...]:
    """The contacts a route is tested with (see the comments on PAGES, SUB_ROUTES, COMPANY_ROUTES)."""
    if route.rule:
        return COMPANY_CONTACTS
    if route in PAGES:
        return PERMISSION_SETS
    needed = route.permissions
    alone = [Who(f"only-{key}", frozenset({key})) for key in needed]
    if len(needed) > 1:
        alone.append(Who("only-" + "+".join(needed), frozenset(needed)))
    return (Who("none", frozenset()), *alone, Who("all", ALL_PERMISSIONS))


def targets_for(route: Route) -> tuple[str, ...]:
    """What a route is requested for: "own" / "foreign" object (and "mixed": own object with
    another customer's item, for URLs with a ``{sub_id}``), or "list" when it loads nothing."""
    if not route.loads:
        return ("list",)
    return ("own", "foreign", "mixed") if "sub_id" in route.placeholders else ("own", "foreign")


def expected_status(route: Route, who: Who, target: str) -> int:
    """The status ``who`` gets on ``route`` for ``target`` (see ``targets_for``).

    A missing permission, or a rule the contact does not meet, is a 403 before any object is
    looked up, so it is 403 for foreign objects too; a permitted foreign object (or foreign
    item of an own object) does not exist (404).
    """
    if any(key not in who.permissions for key in route.permissions):
        return 403
    if route.rule == "primary" and not who.primary:
        return 403
    if route.rule == "primary_and_setting" and not (who.primary and who.manages_contacts):
        return 403
    if target in ("foreign", "mixed"):
        return 404
    return route.ok
