"""The staff lists of sales documents across customers: search, status and year filters, pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import render_template, request, url_for

from core.i18n import _
from core.models import Contract, CreditNote, Estimate, Invoice
from core.pagination import paginate
from core.services.documents import STATUS_FILTERS, companies_by_id, document_search, document_years

from .. import bp


def render_list(model, *, title: str, new_label: str, endpoint: str, new_url: str, detail_url: Callable) -> str:
    """The list page of ``model`` for the request's ``q``, ``status``, ``year`` and ``page``."""
    today = date.today()
    query = request.args.get("q", "")[:100]
    status = request.args.get("status", "")[:20]
    year = request.args.get("year", type=int)
    page = paginate(document_search(model, query=query, status=status, year=year, today=today))
    return render_template(
        "admin/documents/list.html",
        title=title,
        new_label=new_label,
        endpoint=endpoint,
        new_url=new_url,
        detail_url=detail_url,
        page=page,
        companies=companies_by_id(d.customer_id for d in page.items),
        filters={"q": query, "status": status, "year": year},
        statuses=STATUS_FILTERS[model],
        years=document_years(model, today),
    )


def _detail(slug: str) -> Callable:
    return lambda doc: url_for("admin.document_detail", slug=slug, doc_id=doc.id)


@bp.route("/invoices")
def invoices():
    return render_list(
        Invoice,
        title=_("Invoices"),
        new_label=_("New invoice"),
        endpoint="admin.invoices",
        new_url=url_for("admin.document_new", slug="invoices"),
        detail_url=_detail("invoices"),
    )


@bp.route("/credit-notes")
def credit_notes():
    return render_list(
        CreditNote,
        title=_("Credit notes"),
        new_label=_("New credit note"),
        endpoint="admin.credit_notes",
        new_url=url_for("admin.document_new", slug="credit-notes"),
        detail_url=_detail("credit-notes"),
    )


@bp.route("/estimates")
def estimates():
    return render_list(
        Estimate,
        title=_("Estimates"),
        new_label=_("New estimate"),
        endpoint="admin.estimates",
        new_url=url_for("admin.document_new", slug="estimates"),
        detail_url=_detail("estimates"),
    )


@bp.route("/contracts")
def contracts():
    return render_list(
        Contract,
        title=_("Contracts"),
        new_label=_("New contract"),
        endpoint="admin.contracts",
        new_url=url_for("admin.contract_new"),
        detail_url=_detail("contracts"),
    )
