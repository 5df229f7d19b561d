"""The registry of document kinds: invoices, credit notes, estimates, contracts and proposals.

Each kind is named once here, with everything other modules need to know about it: its model,
its names (singular, plural and the whole sentences that differ by German gender), its number
prefix, the notification and permission of ``core.catalogs`` it belongs to, its PDF renderer,
and its pages in both areas (endpoints as strings, so this module imports no view). Numbering,
the send dialog, the PDFs, the admin lists and forms, the customer's project tabs and the labels
read it, and so do the admin menu and a customer's tabs (``ADMIN_KINDS``), the PDF cache, the
``<kind>_sent`` email events and the demo data. ``tests/unit/test_document_kinds.py`` checks
that every name in it exists and that each of these covers exactly its kinds.

Imports only models, catalogs and i18n: services, views and ``core.pdf`` import this module,
never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import _l
from core.models import Contract, CreditNote, CreditNoteItem, Estimate, EstimateItem, Invoice, InvoiceItem, Proposal
from core.models.sales import CREDIT_NOTE_STATUSES, ESTIMATE_STATUSES, INVOICE_STATUSES, PROPOSAL_STATUSES


@dataclass(frozen=True)
class KindTexts:
    """Whole sentences about one kind (German genders differ, so they are not assembled)."""

    new: str  # "New invoice": the list's button and the form's heading
    edit: str  # the edit form's heading; ``%(number)s`` or, for kinds without a number, ``%(subject)s``
    save: str  # the form's submit button
    saved: str  # flash after saving; ``%(number)s``
    sent: str  # flash after sending; ``%(names)s``
    delete_confirm: str  # the detail page's delete question
    new_status_refused: str  # a new document's refused status; ``%(status)s``
    none_in_project: str  # the project tab without documents
    # The send dialog (kinds with a notification): its title, its heading (``%(number)s``) and the
    # note when some contacts are preselected. The warning when nobody is preselected is
    # ``core.notifications.reach.nobody_receives``, the contacts tab's sentence.
    send_title: str = ""
    send_heading: str = ""
    preselected: str = ""


@dataclass(frozen=True)
class DocumentKind:
    key: str  # stored in audit actions, PDF file names, email events ("invoice_sent")
    model: type
    label: str  # lazy strings (``_l``): ``str(...)`` them where a real ``str`` is needed
    plural: str
    slug: str  # the admin URL part and the plural key of lists and tabs ("credit-notes")
    tab: str  # the key of the customer's and the project's tab ("credit_notes")
    permission: str  # ``core.catalogs.PERMISSIONS`` key a contact needs to see it
    texts: KindTexts
    admin_list: str  # endpoints, resolved with ``url_for``
    admin_new: str
    admin_detail: str
    admin_id_arg: str  # the admin detail's URL argument naming the document
    portal_list: str
    portal_detail: str
    portal_id_arg: str  # the portal detail's URL argument, also the email link's ("invoice_id")
    date_attr: str = "date"  # the column lists sort and filter by year, newest first
    title_attr: str = "number"  # the column a list shows first and searches
    notification: str | None = None  # ``core.catalogs.NOTIFICATIONS`` key; None: never emailed
    number_prefix: str | None = None  # ``PREFIX-YYYY-NNNN``; None: the kind has no number
    pdf_renderer: str | None = None  # the function's name in ``core.pdf.documents``; None: no PDF
    item_model: type | None = None  # kinds with line items
    statuses: tuple[str, ...] = ()  # what staff may set; empty: derived (a contract's signature)
    new_statuses: tuple[str, ...] = ()  # what a new document may start as (kinds with line items)
    derived_statuses: tuple[str, ...] = ()  # list filters computed from other columns ("overdue")
    sent_status: str | None = None  # what a draft becomes once emailed (None: unchanged)
    email_context: str = ""  # the name email templates know the document by (default: ``key``)
    pdf_related: tuple[str, ...] = ()  # relationships the PDF shows besides columns and customer
    pdf_bank_transfer: bool = False  # the PDF shows the company's bank account and a GiroCode

    @property
    def status_filters(self) -> tuple[str, ...]:
        """The staff list's status filter: the stored statuses, then the derived ones."""
        return (*self.statuses, *self.derived_statuses)

    def admin_args(self, **args) -> dict:
        """``args`` for ``url_for`` of one of the kind's admin pages: the pages all kinds but
        proposals share (``admin.document_*``) also need the kind's ``slug``."""
        return {"slug": self.slug, **args} if self.admin_detail == "admin.document_detail" else args

    def admin_new_args(self, **args) -> dict:
        """``args`` for ``url_for(kind.admin_new)``: the shared new-document page also needs the
        kind's ``slug``; contracts and proposals have pages of their own."""
        return {"slug": self.slug, **args} if self.admin_new == "admin.document_new" else args

    @property
    def in_project_tab(self) -> bool:
        """Listed on a project's page in the customer area (all kinds but credit notes)."""
        return self.key != "credit_note"


DOCUMENT_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind(
        key="invoice",
        model=Invoice,
        label=_l("Invoice"),
        plural=_l("Invoices"),
        slug="invoices",
        tab="invoices",
        permission="invoices",
        notification="invoice",
        number_prefix="INV",
        pdf_renderer="invoice_pdf",
        pdf_related=("items", "payments"),
        pdf_bank_transfer=True,
        item_model=InvoiceItem,
        statuses=INVOICE_STATUSES,
        new_statuses=("draft", "unpaid"),
        derived_statuses=("overdue",),
        sent_status="unpaid",
        admin_list="admin.invoices",
        admin_new="admin.document_new",
        admin_detail="admin.document_detail",
        admin_id_arg="doc_id",
        portal_list="portal.invoices.index",
        portal_detail="portal.invoices.detail",
        portal_id_arg="invoice_id",
        texts=KindTexts(
            new=_l("New invoice"),
            edit=_l("Edit invoice %(number)s"),
            save=_l("Save invoice"),
            saved=_l("Invoice %(number)s saved."),
            sent=_l("Invoice sent to %(names)s."),
            send_title=_l("Send invoice by email"),
            send_heading=_l("Send invoice %(number)s by email"),
            preselected=_l(
                "Contacts with invoice email notifications are preselected. You may add other contacts; "
                "the email goes to every selected contact."
            ),
            delete_confirm=_l("Delete this draft invoice? This cannot be undone."),
            new_status_refused=_l("A new invoice cannot start as %(status)s."),
            none_in_project=_l("No invoices for this project."),
        ),
    ),
    DocumentKind(
        key="credit_note",
        model=CreditNote,
        label=_l("Credit note"),
        plural=_l("Credit notes"),
        slug="credit-notes",
        tab="credit_notes",
        permission="invoices",
        notification="credit_note",
        number_prefix="CN",
        pdf_renderer="credit_note_pdf",
        pdf_related=("items", "invoice"),
        item_model=CreditNoteItem,
        statuses=CREDIT_NOTE_STATUSES,
        new_statuses=("open",),
        email_context="note",
        admin_list="admin.credit_notes",
        admin_new="admin.document_new",
        admin_detail="admin.document_detail",
        admin_id_arg="doc_id",
        portal_list="portal.invoices.credit_notes",
        portal_detail="portal.invoices.credit_note",
        portal_id_arg="credit_note_id",
        texts=KindTexts(
            new=_l("New credit note"),
            edit=_l("Edit credit note %(number)s"),
            save=_l("Save credit note"),
            saved=_l("Credit note %(number)s saved."),
            sent=_l("Credit note sent to %(names)s."),
            send_title=_l("Send credit note by email"),
            send_heading=_l("Send credit note %(number)s by email"),
            preselected=_l(
                "Contacts with credit note email notifications are preselected. You may add other contacts; "
                "the email goes to every selected contact."
            ),
            delete_confirm=_l("Delete this draft credit note? This cannot be undone."),
            new_status_refused=_l("A new credit note cannot start as %(status)s."),
            none_in_project="",  # not a project tab
        ),
    ),
    DocumentKind(
        key="estimate",
        model=Estimate,
        label=_l("Estimate"),
        plural=_l("Estimates"),
        slug="estimates",
        tab="estimates",
        permission="estimates",
        notification="estimate",
        number_prefix="EST",
        pdf_renderer="estimate_pdf",
        pdf_related=("items",),
        item_model=EstimateItem,
        statuses=ESTIMATE_STATUSES,
        new_statuses=("draft", "sent"),
        sent_status="sent",
        admin_list="admin.estimates",
        admin_new="admin.document_new",
        admin_detail="admin.document_detail",
        admin_id_arg="doc_id",
        portal_list="portal.estimates.index",
        portal_detail="portal.estimates.detail",
        portal_id_arg="estimate_id",
        texts=KindTexts(
            new=_l("New estimate"),
            edit=_l("Edit estimate %(number)s"),
            save=_l("Save estimate"),
            saved=_l("Estimate %(number)s saved."),
            sent=_l("Estimate sent to %(names)s."),
            send_title=_l("Send estimate by email"),
            send_heading=_l("Send estimate %(number)s by email"),
            preselected=_l(
                "Contacts with estimate email notifications are preselected. You may add other contacts; "
                "the email goes to every selected contact."
            ),
            delete_confirm=_l("Delete this draft estimate? This cannot be undone."),
            new_status_refused=_l("A new estimate cannot start as %(status)s."),
            none_in_project=_l("No estimates for this project."),
        ),
    ),
    DocumentKind(
        key="contract",
        model=Contract,
        label=_l("Contract"),
        plural=_l("Contracts"),
        slug="contracts",
        tab="contracts",
        permission="contracts",
        notification="contract",
        pdf_renderer="contract_pdf",
        date_attr="start_date",
        title_attr="subject",
        derived_statuses=("signed", "not_signed"),
        admin_list="admin.contracts",
        admin_new="admin.contract_new",
        admin_detail="admin.document_detail",
        admin_id_arg="doc_id",
        portal_list="portal.contracts.index",
        portal_detail="portal.contracts.detail",
        portal_id_arg="contract_id",
        texts=KindTexts(
            new=_l("New contract"),
            edit=_l("Edit contract %(subject)s"),
            save=_l("Save contract"),
            saved=_l("Contract saved."),
            sent=_l("Contract sent to %(names)s."),
            send_title=_l("Send contract by email"),
            send_heading=_l("Send contract %(number)s by email"),
            preselected=_l(
                "Contacts with contract email notifications are preselected. You may add other contacts; "
                "the email goes to every selected contact."
            ),
            delete_confirm=_l("Delete this draft contract? This cannot be undone."),
            new_status_refused="",  # a contract's status follows its signature
            none_in_project=_l("No contracts for this project."),
        ),
    ),
    DocumentKind(
        key="proposal",
        model=Proposal,
        label=_l("Proposal"),
        plural=_l("Proposals"),
        slug="proposals",
        tab="proposals",
        permission="proposals",
        statuses=PROPOSAL_STATUSES,
        title_attr="subject",
        admin_list="admin.proposals",
        admin_new="admin.proposal_new",
        admin_detail="admin.proposal_detail",
        admin_id_arg="proposal_id",
        portal_list="portal.proposals.index",
        portal_detail="portal.proposals.detail",
        portal_id_arg="proposal_id",
        texts=KindTexts(
            new=_l("New proposal"),
            edit=_l("Edit proposal %(subject)s"),
            save=_l("Save proposal"),
            saved=_l("Proposal saved."),
            sent="",  # never emailed
            delete_confirm=_l("Delete this draft proposal? This cannot be undone."),
            new_status_refused="",  # any listed status
            none_in_project=_l("No proposals for this project."),
        ),
    ),
)
DOCUMENT_KINDS_BY_KEY: dict[str, DocumentKind] = {k.key: k for k in DOCUMENT_KINDS}
KINDS_BY_SLUG: dict[str, DocumentKind] = {k.slug: k for k in DOCUMENT_KINDS}

# Views of the registry by what a kind has (each a subset, in registry order).
LINE_ITEM_KINDS: tuple[DocumentKind, ...] = tuple(k for k in DOCUMENT_KINDS if k.item_model is not None)
SENDABLE_KINDS: tuple[DocumentKind, ...] = tuple(k for k in DOCUMENT_KINDS if k.notification is not None)
PDF_KINDS: tuple[DocumentKind, ...] = tuple(k for k in DOCUMENT_KINDS if k.pdf_renderer is not None)
NUMBERED_KINDS: tuple[DocumentKind, ...] = tuple(k for k in DOCUMENT_KINDS if k.number_prefix is not None)

# The staff area's order (its menu, a customer's tabs): grouped by feature as the registry is,
# but proposals before contracts, as staff have always seen them.
ADMIN_KINDS: tuple[DocumentKind, ...] = tuple(
    DOCUMENT_KINDS_BY_KEY[key] for key in ("invoice", "credit_note", "estimate", "proposal", "contract")
)


def kind_of(document) -> DocumentKind:
    """The kind of ``document`` (an instance of one of the registry's models); KeyError otherwise."""
    for kind in DOCUMENT_KINDS:
        if isinstance(document, kind.model):
            return kind
    raise KeyError(type(document).__name__)
