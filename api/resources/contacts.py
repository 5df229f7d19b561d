"""``/api/v1/contacts``: list (customer, email, active), read, create (optionally invited),
update (If-Match), activate and deactivate: through the contacts service, as the admin area."""

from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import func, literal_column, select

from api.auth import acting_staff
from api.base import resource_blueprint
from api.fastdump import RowDumper, json_page
from api.pagination import keyset_page
from api.schemas.contacts import ContactCreateSchema, ContactListArgs, ContactPage, ContactSchema, ContactUpdateSchema
from api.versioning import IfMatchHeader, expected_version, version_headers
from core.extensions import db
from core.i18n import _
from core.models import Contact, ContactNotification, ContactPermission, Customer, normalize_email
from core.services import ServiceError
from core.services.contacts import ContactData, create_contact, set_active, update_contact
from core.services.settings import default_contact_permissions

from .errors import refuse

blp = resource_blueprint("contacts", "contacts", "Contacts with their permissions and email notifications")


def _contact_or_404(contact_id: int) -> Contact:
    return db.session.get(Contact, contact_id) or abort(404)


def _data(values: dict, contact: Contact | None = None) -> ContactData:
    """The contact's new state: ``values`` over its current state (or a new contact's defaults:
    the default permissions, no notifications, active, not primary)."""

    def pick(name: str, current):
        return values.get(name, current)

    if contact is None:
        base = {"permissions": default_contact_permissions(), "notifications": set(), "is_primary": False}
        base |= {"phone": "", "position": "", "active": True, "language": None}
    else:
        base = {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email,
            "phone": contact.phone,
            "position": contact.position,
            "is_primary": contact.is_primary,
            "active": contact.active,
            "language": contact.language,
            "permissions": set(contact.permissions),
            "notifications": set(contact.notifications),
        }
    return ContactData(
        first_name=pick("first_name", base.get("first_name")),
        last_name=pick("last_name", base.get("last_name")),
        email=pick("email", base.get("email")),
        phone=pick("phone", base["phone"]),
        position=pick("position", base["position"]),
        is_primary=pick("is_primary", base["is_primary"]),
        active=pick("active", base["active"]),
        language=pick("language", base["language"]),
        permissions=set(pick("permissions", base["permissions"])),
        notifications=set(pick("notifications", base["notifications"])),
    )


# The list's items: ContactSchema's values copied by RowDumper (the same body as its dump),
# read as plain rows of the dumped columns, each with its permission and notification keys
# aggregated in the same statement (not two selectin loads per page, nor a query per contact).
_LIST_DUMPER = RowDumper(ContactSchema)


def _joined_keys(column, contact_column):
    # The separator as SQL text: a bound one would be re-rendered into the SQL on each run.
    return (
        select(func.coalesce(func.aggregate_strings(column, literal_column("','")), ""))
        .where(contact_column == Contact.id)
        .scalar_subquery()
    )


_LIST_COLUMNS = tuple(
    _joined_keys(ContactPermission.permission, ContactPermission.contact_id).label(attribute)
    if attribute == "permissions"
    else _joined_keys(ContactNotification.notification, ContactNotification.contact_id).label(attribute)
    if attribute == "notifications"
    else getattr(Contact, attribute)
    for _key, attribute, _convert in _LIST_DUMPER.plan
)


class _ListedContact:
    """A contact of a list page: its row's values, with its keys as sets (as on the model)."""

    def __init__(self, row):
        self.__dict__ = row._asdict()
        self.permissions = self.permissions.split(",") if self.permissions else ()
        self.notifications = self.notifications.split(",") if self.notifications else ()


@blp.route("")
@blp.arguments(ContactListArgs(), location="query")
@blp.response(200, ContactPage)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_contacts(args):
    """List contacts, oldest first

    Filters: ``customer_id``, ``email`` (exact, case-insensitive), ``active``.
    """
    stmt = select(*_LIST_COLUMNS)
    if "customer_id" in args:
        stmt = stmt.where(Contact.customer_id == args["customer_id"])
    if "email" in args:
        stmt = stmt.where(Contact.email == normalize_email(args["email"]))
    if "active" in args:
        stmt = stmt.where(Contact.active == args["active"])
    body, headers = keyset_page(stmt, Contact.id, args, columns=True)
    body["items"] = [_ListedContact(row) for row in body["items"]]
    return json_page(_LIST_DUMPER, body, headers)


@blp.route("", methods=["POST"])
@blp.arguments(ContactCreateSchema)
@blp.response(201, ContactSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def create(values):
    """Create a contact of a customer (``invite`` emails it a set-password link)"""
    customer = db.session.get(Customer, values["customer_id"])
    if customer is None:
        message = _("No customer has this id.")
        abort(422, errors={"customer_id": [message]}, message=message)
    try:
        contact = create_contact(customer, _data(values), invite=values["invite"], actor=acting_staff())
    except ServiceError as exc:
        refuse(exc)
    return contact, 201, version_headers(contact)


@blp.route("/<int:contact_id>")
@blp.response(200, ContactSchema)
@blp.alt_response(404, response="NOT_FOUND")
def get_contact(contact_id: int):
    """Read a contact (its version is the ETag)"""
    contact = _contact_or_404(contact_id)
    return contact, 200, version_headers(contact)


@blp.route("/<int:contact_id>", methods=["PATCH"])
@blp.arguments(IfMatchHeader, location="headers")
@blp.arguments(ContactUpdateSchema)
@blp.response(200, ContactSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(412, response="PRECONDITION_FAILED")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@blp.alt_response(428, response="PRECONDITION_REQUIRED")
def update(_headers, values, contact_id: int):
    """Change some of a contact's fields, permissions or notifications (If-Match required)"""
    contact = _contact_or_404(contact_id)
    version = expected_version(contact)
    try:
        update_contact(
            contact, _data(values, contact), expected_version=version, invite=values["invite"], actor=acting_staff()
        )
    except ServiceError as exc:
        refuse(exc)
    return contact, 200, version_headers(contact)


def _set_active(contact_id: int, active: bool):
    contact = _contact_or_404(contact_id)
    try:
        set_active(contact, active, actor=acting_staff())
    except ServiceError as exc:
        refuse(exc)
    return contact, 200, version_headers(contact)


@blp.route("/<int:contact_id>/activate", methods=["POST"])
@blp.response(200, ContactSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def activate(contact_id: int):
    """Activate a contact (administrators' tokens only, as in the admin area)"""
    return _set_active(contact_id, True)


@blp.route("/<int:contact_id>/deactivate", methods=["POST"])
@blp.response(200, ContactSchema)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def deactivate(contact_id: int):
    """Deactivate a contact: it can no longer log in, its sessions end, it gets no emails"""
    return _set_active(contact_id, False)
