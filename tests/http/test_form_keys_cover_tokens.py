"""The one-time form key (core/submissions.py) alone gives a form one effect: proposal comments
in both areas, and the document forms that still carry the older ``form_token``.

The document tests post the same form key twice with a DIFFERENT ``form_token`` each time, so the
older token cannot be what stops the second post: the form key does.
"""

from __future__ import annotations

import secrets

import pytest

from core.models import Invoice, OutboxEmail, Proposal, ProposalComment
from core.submissions import FIELD
from tests.conftest import login
from tests.http.helpers.admin_sales import sales_form
from tests.http.test_admin_sales_contracts import proposal_form
from tests.http.test_one_effect_per_form import acme, assert_second_changed_nothing, count, form_key  # noqa: F401


def post_with_fresh_tokens(client, page: str, action: str, data: dict) -> tuple:
    key = form_key(client, page, action)
    first = client.post(action, data={**data, FIELD: key, "form_token": secrets.token_hex(16)})
    second = client.post(action, data={**data, FIELD: key, "form_token": secrets.token_hex(16)})
    return first, second


def test_portal_proposal_comment_twice_adds_one_comment_and_one_email(client, f, acme):  # noqa: F811
    customer, anna = acme
    proposal = f.make_proposal(customer)
    login(client, anna)
    page, action = f"/proposals/{proposal.id}", f"/proposals/{proposal.id}/comments"
    key = form_key(client, page, action)
    first = client.post(action, data={"body": "Can we start in May?", FIELD: key})
    emails = count(OutboxEmail, OutboxEmail.event == "staff_proposal_comment")
    second = client.post(action, data={"body": "Can we start in May?", FIELD: key})
    assert_second_changed_nothing(client, first, second)
    assert count(ProposalComment) == 1
    assert count(OutboxEmail, OutboxEmail.event == "staff_proposal_comment") == emails


def test_proposal_threads_show_both_sides_in_both_areas(client, admin_client, f, acme):  # noqa: F811
    customer, anna = acme
    proposal = f.make_proposal(customer)
    login(client, anna)
    client.post(f"/proposals/{proposal.id}/comments", data={"body": "From Anna"})
    admin_client.post(f"/admin/proposals/{proposal.id}/comments", data={"body": "From staff"})
    portal = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    admin = admin_client.get(f"/admin/proposals/{proposal.id}").get_data(as_text=True)
    assert portal.index("From Anna") < portal.index("From staff")
    assert admin.index("From Anna") < admin.index("From staff") and "(staff)" in admin
    assert "Post comment" in portal and "Add comment" in admin


@pytest.mark.parametrize(
    ("slug", "model", "form"), [("invoices", Invoice, sales_form), ("proposals", Proposal, proposal_form)]
)
def test_new_document_posted_twice_with_one_form_key_is_one_document(admin_client, f, slug, model, form):
    customer = f.make_customer("Acme")
    page = f"/admin/{slug}/new?customer_id={customer.id}"
    first, second = post_with_fresh_tokens(admin_client, page, page, form(customer))
    assert_second_changed_nothing(admin_client, first, second)
    assert count(model) == 1
