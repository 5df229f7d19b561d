"""The lists' fast dumper gives exactly what marshmallow gives for the same schema."""

from __future__ import annotations

from decimal import Decimal

import pytest
from marshmallow import Schema, fields, post_dump

from api.fastdump import RowDumper
from api.schemas.sales import SCHEMAS
from core.models import utcnow


def test_every_sales_list_item_dumps_as_its_schema(app, api, f):
    acme = f.make_customer("Acme")
    paid = f.make_priced_invoice(
        acme, number="INV-X-1", total="10.005", issued=utcnow().date(), paid=[("3.5", utcnow().date())]
    )
    paid.sent_at = utcnow()
    documents = {
        "invoice": [f.make_invoice(acme), paid],
        "credit_note": [f.make_credit_note(acme)],
        "estimate": [f.make_estimate(acme)],
        "proposal": [f.make_proposal(acme)],
        "contract": [f.make_contract(acme)],
    }
    for key, (item_schema, _detail) in SCHEMAS.items():
        dumper = RowDumper(item_schema)
        for document in documents[key]:
            assert dumper.dump(document) == item_schema().dump(document), key
    # And through the API: each list item is the marshmallow dump of its document.
    items = api.get(f"/api/v1/invoices?customer_id={acme.id}").get_json()["items"]
    assert items == [SCHEMAS["invoice"][0]().dump(d) for d in sorted(documents["invoice"], key=lambda d: d.id)]


def test_values_of_every_supported_type_dump_alike():
    class Sample(Schema):
        text = fields.String(allow_none=True)
        number = fields.Integer()
        flag = fields.Boolean()
        money = fields.Decimal(places=2, as_string=True)
        plain = fields.Decimal(as_string=True)
        when = fields.DateTime()
        day = fields.Date()
        renamed = fields.String(attribute="other", data_key="label")

    class Obj:
        text, number, flag, other = "x", 3, True, "y"
        money, plain = Decimal("1.005"), Decimal("2.5")
        when, day = utcnow(), utcnow().date()

    none = Obj()
    none.text = none.money = none.plain = none.when = none.day = None
    for obj in (Obj(), none):
        assert RowDumper(Sample).dump(obj) == Sample().dump(obj)


def test_schemas_it_cannot_copy_are_refused():
    class Hooked(Schema):
        a = fields.String()

        @post_dump
        def change(self, data, **_kwargs):
            return data

    class Nested(Schema):
        inner = fields.Nested(Hooked)

    for schema in (Hooked, Nested):
        with pytest.raises(TypeError):
            RowDumper(schema)


def test_project_task_ticket_and_reply_list_items_dump_as_their_schemas(app, f):
    from api.schemas.projects import ProjectSchema, TaskSchema
    from api.schemas.tickets import ReplySchema, TicketSchema

    acme = f.make_customer("Acme")
    project = f.make_project(acme, tasks=[("Shared", True)])
    ticket = f.make_ticket(acme, f.make_contact(acme))
    for schema, obj in (
        (ProjectSchema, project),
        (TaskSchema, project.tasks[0]),
        (TicketSchema, ticket),
        (ReplySchema, ticket.replies[0]),
    ):
        assert RowDumper(schema).dump(obj) == schema().dump(obj), schema.__name__


def test_the_contacts_list_gives_what_marshmallow_gives_for_each_contact(app, api, f):
    from api.schemas.contacts import ContactSchema
    from core.catalogs import NOTIFICATIONS, PERMISSIONS

    acme = f.make_customer("Acme")
    every_permission = {p.key for p in PERMISSIONS}
    contacts = [
        f.make_contact(acme, permissions=(), email="none@acme.example"),
        f.make_contact(acme, email="all@acme.example", notifications={n.key for n in NOTIFICATIONS}),
        f.make_contact(acme, permissions={sorted(every_permission)[-1]}, phone="+49 1", position="CFO", active=False),
    ]
    response = api.get(f"/api/v1/contacts?customer_id={acme.id}")
    assert response.status_code == 200
    assert response.get_json()["items"] == [ContactSchema().dump(c) for c in contacts]
    assert response.get_json()["items"][1]["permissions"] == sorted(every_permission)
    # Byte for byte: the body is what flask-smorest's marshmallow dump of the page would give.
    expected = app.json.response({"items": [ContactSchema().dump(c) for c in contacts], "next_cursor": None})
    assert response.get_data() == expected.get_data()
