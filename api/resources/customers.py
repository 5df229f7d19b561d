"""``/api/v1/customers``: list (search, active), read, create, update (If-Match)."""

from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import select

from api.auth import acting_staff
from api.base import resource_blueprint
from api.pagination import keyset_page
from api.schemas.customers import CustomerListArgs, CustomerPage, CustomerSchema, CustomerUpdateSchema
from api.versioning import IfMatchHeader, expected_version, version_headers
from core.extensions import db
from core.models import Customer
from core.services import ServiceError
from core.services.customers import customer_search, save_customer

from .errors import refuse

blp = resource_blueprint("customers", "customers", "Customer companies")

ERRORS = (401, 403, 429)


def _customer_or_404(customer_id: int) -> Customer:
    return db.session.get(Customer, customer_id) or abort(404)


@blp.route("")
@blp.arguments(CustomerListArgs(), location="query")
@blp.response(200, CustomerPage)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_customers(args):
    """List customers, oldest first

    Filters: ``q`` searches company, VAT number and contacts' emails; ``active``.
    """
    stmt = customer_search(args.get("q", "")) if args.get("q") else select(Customer)
    if "active" in args:
        stmt = stmt.where(Customer.active == args["active"])
    body, headers = keyset_page(stmt, Customer.id, args)
    return body, 200, headers


@blp.route("", methods=["POST"])
@blp.arguments(CustomerSchema)
@blp.response(201, CustomerSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create_customer(values):
    """Create a customer"""
    try:
        customer = save_customer(None, values, actor=acting_staff())
    except ServiceError as exc:
        refuse(exc)
    return customer, 201, version_headers(customer)


@blp.route("/<int:customer_id>")
@blp.response(200, CustomerSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_customer(customer_id: int):
    """Read a customer (its version is the ETag)"""
    customer = _customer_or_404(customer_id)
    return customer, 200, version_headers(customer)


@blp.route("/<int:customer_id>", methods=["PATCH"])
@blp.arguments(IfMatchHeader, location="headers")
@blp.arguments(CustomerUpdateSchema)
@blp.response(200, CustomerSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(428, response="PRECONDITION_REQUIRED")
def update_customer(_headers, values, customer_id: int):
    """Change some of a customer's fields (If-Match required)"""
    customer = _customer_or_404(customer_id)
    version = expected_version(customer)
    try:
        save_customer(customer, values, expected_version=version, actor=acting_staff())
    except ServiceError as exc:
        refuse(exc)
    return customer, 200, version_headers(customer)
