"""The registry of document kinds (core/document_kinds.py) is complete and consistent: every name
in it exists where it points, and every place that handles "each kind" covers exactly its kinds."""

from __future__ import annotations

import inspect

import pytest
from flask import url_for
from werkzeug.routing import BuildError

import core.pdf
from core.catalogs import NOTIFICATIONS_BY_KEY, PERMISSION_KEYS, PERMISSIONS
from core.document_kinds import (
    DOCUMENT_KINDS,
    DOCUMENT_KINDS_BY_KEY,
    KINDS_BY_SLUG,
    LINE_ITEM_KINDS,
    NUMBERED_KINDS,
    PDF_KINDS,
    SENDABLE_KINDS,
    kind_of,
)
from core.extensions import db
from core.labels import LABELS
from core.notifications.events import EVENTS
from portal.features.projects.access import TABS_BY_KEY

KIND_IDS = [kind.key for kind in DOCUMENT_KINDS]


def test_keys_slugs_and_tabs_are_unique():
    for values in ([k.key for k in DOCUMENT_KINDS], [k.slug for k in DOCUMENT_KINDS], [k.tab for k in DOCUMENT_KINDS]):
        assert len(values) == len(set(values)) == len(DOCUMENT_KINDS)
    assert set(KINDS_BY_SLUG) == {k.slug for k in DOCUMENT_KINDS}
    assert list(DOCUMENT_KINDS_BY_KEY) == KIND_IDS


@pytest.mark.parametrize("kind", DOCUMENT_KINDS, ids=KIND_IDS)
def test_each_kind_names_a_model_permission_and_notification_that_exist(kind):
    assert issubclass(kind.model, db.Model) and hasattr(kind.model, kind.date_attr)
    assert hasattr(kind.model, kind.title_attr) and hasattr(kind.model, "customer_id")
    assert kind_of(kind.model()) is kind
    assert kind.permission in PERMISSION_KEYS
    if kind.notification is not None:
        assert NOTIFICATIONS_BY_KEY[kind.notification].permission == kind.permission
        assert f"{kind.key}_sent" in EVENTS
    if kind.item_model is not None:
        assert kind.item_model.__tablename__.startswith(kind.model.__tablename__.rstrip("s"))
        assert set(kind.new_statuses) <= set(kind.statuses)
    if kind.sent_status is not None:
        assert kind.sent_status in kind.statuses


@pytest.mark.parametrize("kind", DOCUMENT_KINDS, ids=KIND_IDS)
def test_each_kind_s_pages_resolve(app, kind):
    with app.test_request_context():
        assert url_for(kind.admin_list)
        assert url_for(kind.admin_detail, **kind.admin_args(**{kind.admin_id_arg: 1}))
        assert url_for(kind.portal_list)
        assert url_for(kind.portal_detail, **{kind.portal_id_arg: 1})
        admin_new_args = kind.admin_args() if kind.item_model is not None else {}
        assert url_for(kind.admin_new, **admin_new_args)
        if kind.in_project_tab:
            assert url_for(TABS_BY_KEY[kind.tab].endpoint, project_id=1)


@pytest.mark.parametrize("kind", DOCUMENT_KINDS, ids=KIND_IDS)
def test_each_kind_s_names_are_labels_and_translated_sentences(app, kind):
    assert str(LABELS[kind.key]) == str(kind.label) and str(LABELS[kind.tab]) == str(kind.plural)
    texts = [text for text in vars(kind.texts).values() if text]
    assert texts and all(str(text) for text in texts)
    assert "%(number)s" in str(kind.texts.edit) if kind.number_prefix else "%(subject)s" in str(kind.texts.edit)


def test_every_place_that_lists_kinds_covers_exactly_the_registry_s():
    # The PDFs: one renderer each, a module function with the registry's name.
    assert tuple(k.key for k in PDF_KINDS) == core.pdf.KINDS
    for kind in PDF_KINDS:
        assert inspect.isfunction(getattr(core.pdf.documents, kind.pdf_renderer))
    # The send dialog sends exactly the kinds with a notification; numbering numbers those with a prefix.
    assert {k.key for k in SENDABLE_KINDS} == {"invoice", "credit_note", "estimate", "contract"}
    assert {k.number_prefix for k in NUMBERED_KINDS} == {"INV", "CN", "EST"}
    assert set(LINE_ITEM_KINDS) <= set(NUMBERED_KINDS)
    # The project tabs list every kind shown in projects, with the kind's permission.
    for kind in DOCUMENT_KINDS:
        if kind.in_project_tab:
            assert TABS_BY_KEY[kind.tab].permission == kind.permission
    # The customer-area menu: one page per feature of the catalog.
    assert all(permission.endpoint.startswith("portal.") for permission in PERMISSIONS)


def test_the_admin_forms_cover_exactly_the_kinds_with_line_items():
    from admin.sales.forms import SALES_FORMS

    assert set(SALES_FORMS) == {k.key for k in LINE_ITEM_KINDS}


def test_the_shared_admin_routes_take_exactly_the_registry_s_slugs(app):
    shared = {k.slug for k in DOCUMENT_KINDS if k.admin_detail == "admin.document_detail"}
    with app.test_request_context():
        for slug in shared | {"proposals", "tickets"}:
            for endpoint in ("admin.document_detail", "admin.document_send", "admin.document_pdf_download"):
                try:
                    url_for(endpoint, slug=slug, doc_id=1)
                except (BuildError, ValueError):  # ValueError: the any() converter refuses it
                    assert slug not in shared
                else:
                    assert slug in shared


def test_the_admin_area_s_tabs_menu_pdfs_emails_and_demo_cover_exactly_the_registry_s_kinds(app):
    from admin.customers import DOCUMENT_MENU, DOCUMENT_TABS, KINDS_BY_TAB, MENU_BY_SLUG
    from core.demo import load_demo
    from core.document_kinds import ADMIN_KINDS

    # The staff area's order holds every kind once; a customer's tabs are its kinds, then the rest.
    assert sorted(k.key for k in ADMIN_KINDS) == sorted(KIND_IDS) and len(set(ADMIN_KINDS)) == len(ADMIN_KINDS)
    assert list(DOCUMENT_TABS) == [k.tab for k in ADMIN_KINDS] + ["tickets", "projects"]
    assert list(KINDS_BY_TAB.values()) == list(ADMIN_KINDS)
    # The menu: one entry per feature, credit notes under invoices, every kind's slug active on one.
    assert [entry[0] for entry in DOCUMENT_MENU] == [
        "admin.invoices",
        "admin.estimates",
        "admin.proposals",
        "admin.contracts",
    ]
    assert set(MENU_BY_SLUG) == {k.slug for k in DOCUMENT_KINDS}
    assert {f"admin.{k.key}" for k in DOCUMENT_KINDS} == {p for entry in DOCUMENT_MENU for p in entry[2]}
    # The PDF cache's key covers what each renderer shows: relationships of the kind's model.
    for kind in DOCUMENT_KINDS:
        assert all(hasattr(kind.model, name) for name in kind.pdf_related)
        assert not kind.pdf_related or kind in PDF_KINDS
    # "<kind>_sent": one email per sendable kind, under its notification, linking to its page.
    sent = {key: event for key, event in EVENTS.items() if key.removesuffix("_sent") in DOCUMENT_KINDS_BY_KEY}
    assert set(sent) == {f"{k.key}_sent" for k in SENDABLE_KINDS}
    for kind in SENDABLE_KINDS:
        event = sent[f"{kind.key}_sent"]
        assert (event.notification, event.endpoint) == (kind.notification, kind.portal_detail)
    # The demo numbers each numbered kind with the registry's prefix.
    assert load_demo()
    for kind in NUMBERED_KINDS:
        numbers = db.session.scalars(db.select(kind.model.number)).all()
        assert numbers and all(n.startswith(f"{kind.number_prefix}-") for n in numbers)


def test_the_customer_tabs_link_each_kind_s_pages(admin_client, f):
    customer = f.make_customer("Acme")
    documents = {"invoice": f.make_invoice(customer), "credit_note": f.make_credit_note(customer)}
    documents |= {"estimate": f.make_estimate(customer), "contract": f.make_contract(customer)}
    documents["proposal"] = f.make_proposal(customer)
    profile = admin_client.get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    for kind in DOCUMENT_KINDS:
        assert f'href="/admin/customers/{customer.id}/{kind.tab}">{kind.plural}<' in profile
        page = admin_client.get(f"/admin/customers/{customer.id}/{kind.tab}").get_data(as_text=True)
        with admin_client.application.test_request_context():
            detail = url_for(kind.admin_detail, **kind.admin_args(**{kind.admin_id_arg: documents[kind.key].id}))
            new = url_for(kind.admin_new, **kind.admin_new_args(customer_id=customer.id))
        assert f'href="{detail}"' in page and f'href="{new}">{kind.texts.new}<' in page.replace("&amp;", "&")
