"""Sales documents staff create and edit: invoices, credit notes, estimates, proposals, contracts.

``sales`` holds the documents with line items (and the estimate -> invoice conversion),
``agreements`` proposals and contracts, ``queries`` the staff lists, ``common`` the shared checks.
"""

from .agreements import (
    ContractData,
    ProposalData,
    add_proposal_comment,
    agreement_delete_refused,
    agreement_edit_refused,
    create_contract,
    create_proposal,
    delete_agreement,
    update_contract,
    update_proposal,
)
from .queries import STATUS_FILTERS, companies_by_id, document_search, document_years
from .sales import (
    SALES_KINDS,
    LineData,
    SalesData,
    SalesKind,
    allowed_statuses,
    clean_lines,
    convert_estimate,
    create_sales_document,
    delete_refused,
    delete_sales_document,
    edit_refused,
    kind_of,
    lines_locked,
    update_sales_document,
)

__all__ = [
    "SALES_KINDS",
    "STATUS_FILTERS",
    "ContractData",
    "LineData",
    "ProposalData",
    "SalesData",
    "SalesKind",
    "add_proposal_comment",
    "agreement_delete_refused",
    "agreement_edit_refused",
    "allowed_statuses",
    "clean_lines",
    "companies_by_id",
    "convert_estimate",
    "create_contract",
    "create_proposal",
    "create_sales_document",
    "delete_agreement",
    "delete_refused",
    "delete_sales_document",
    "document_search",
    "document_years",
    "edit_refused",
    "kind_of",
    "lines_locked",
    "update_contract",
    "update_proposal",
    "update_sales_document",
]
