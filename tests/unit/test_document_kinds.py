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
