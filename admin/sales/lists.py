"""The staff lists of documents across customers: search, status and year filters, pages.

One list route per kind of ``core.document_kinds``, at ``/<slug>`` with the kind's
``admin_list`` endpoint.
"""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for

from core.document_kinds import DOCUMENT_KINDS, DocumentKind
from core.pagination import paginate
from core.services.documents import companies_by_id, document_search, document_years

from .. import bp


def detail_url(kind: DocumentKind, doc_id: int) -> str:
    """The admin detail page of the kind's document ``doc_id``."""
    return url_for(kind.admin_detail, **kind.admin_args(**{kind.admin_id_arg: doc_id}))


def new_url(kind: DocumentKind, **args) -> str:
    """The admin page that creates a document of the kind (``args``: e.g. ``customer_id``)."""
    return url_for(kind.admin_new, **(kind.admin_args(**args) if kind.item_model is not None else args))


def render_list(kind: DocumentKind) -> str:
    """The list page of ``kind`` for the request's ``q``, ``status``, ``year`` and ``page``."""
    today = date.today()
    query = request.args.get("q", "")[:100]
    status = request.args.get("status", "")[:20]
    year = request.args.get("year", type=int)
    page = paginate(document_search(kind, query=query, status=status, year=year, today=today))
    return render_template(
        "admin/documents/list.html",
        title=kind.plural,
        new_label=kind.texts.new,
        endpoint=kind.admin_list,
        new_url=new_url(kind),
        detail_url=lambda document: detail_url(kind, document.id),
        page=page,
        companies=companies_by_id(d.customer_id for d in page.items),
        filters={"q": query, "status": status, "year": year},
        statuses=kind.status_filters,
        years=document_years(kind, today),
    )


def _list_view(kind: DocumentKind):
    def view():
        return render_list(kind)

    view.__doc__ = f"The staff list of {kind.key} documents."
    return view


for _kind in DOCUMENT_KINDS:
    bp.add_url_rule(f"/{_kind.slug}", endpoint=_kind.admin_list.removeprefix("admin."), view_func=_list_view(_kind))
