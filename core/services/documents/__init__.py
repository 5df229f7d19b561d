"""Sales documents staff create and edit: invoices, credit notes, estimates, proposals, contracts.

``sales`` holds the documents with line items (and the estimate -> invoice conversion),
``agreements`` proposals and contracts, ``queries`` the staff lists, ``common`` the shared checks.
What each kind is (model, statuses, number prefix, names) is in ``core.document_kinds``.
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
from .queries import companies_by_id, document_search, document_years
from .sales import (
    LineData,
    SalesData,
    allowed_statuses,
    clean_lines,
    convert_estimate,
    create_sales_document,
    delete_refused,
    delete_sales_document,
    edit_refused,
    lines_locked,
    update_sales_document,
)

__all__ = [
    "ContractData",
    "LineData",
    "ProposalData",
    "SalesData",
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
    "lines_locked",
    "update_contract",
    "update_proposal",
    "update_sales_document",
]
