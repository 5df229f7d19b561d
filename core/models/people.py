"""Staff users, customers and their contacts, with the contacts' permissions and toggles.

Where the contact rules live (each once, as a hybrid: the same definition on a loaded contact
and inside a query, e.g. ``select(Contact).where(Contact.may_log_in)``):

- may this contact log in: ``Contact.may_log_in`` (active contact of an active customer);
  the login, the session loader, password resets and "log in as contact" use it;
- who receives a notification: ``Contact.receives(notification)`` (may log in, toggle on,
  and the permission the toggle needs); the recipient query and the admin's matrix use it;
- may a notification be on at all: ``core.catalogs.notification_allowed``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, and_, exists, false, select
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from core.catalogs import NOTIFICATIONS_BY_KEY, notification_allowed
from core.extensions import db

from .base import TimestampMixin


def normalize_email(email: str) -> str:
    """The stored form of an address: trimmed and lower-cased."""
    return email.strip().lower()


class StaffUser(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated on logout and password change so a copied session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64))
    last_login: Mapped[datetime | None]
    # Base32 TOTP secret once two-factor login is confirmed; NULL means password only.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The TOTP time step of the last accepted code: a code is good once (core/twofactor.py).
    totp_last_step: Mapped[int | None]
    # The staff member's language: admin pages and the staff emails it receives use it.
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    # The nonce of the newest emailed sign-in link, as on ``Contact`` (core/services/sign_in_links.py).
    sign_in_link_nonce: Mapped[str | None] = mapped_column(String(64))
    # The random WebAuthn user handle its passkeys carry (core/services/passkeys.py), set at
    # its first passkey: neither the database id nor the address, which would leak to the device.
    passkey_user_handle: Mapped[str | None] = mapped_column(String(100), unique=True)

    kind = "staff"

    def get_id(self) -> str:
        return f"staff:{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def may_log_in(self) -> bool:
        """The staff login rule (the counterpart of ``Contact.may_log_in``): an active staff user."""
        return self.active


class Customer(TimestampMixin, db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str] = mapped_column(String(160), index=True)
    vat_number: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    zip_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(80), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", order_by="Contact.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.company!r}>"


@lru_cache(maxsize=256)
def _split_keys(joined: str) -> frozenset[str]:
    # Few distinct combinations exist (6 permissions), and a page asks several times.
    return frozenset(joined.split(",")) if joined else frozenset()


class Contact(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    # Stored lower-cased; the unique constraint then makes addresses unique case-insensitively.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_primary: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # True while the contact is inactive because staff deactivated it: staff's decision wins,
    # so only staff can activate it again (not the customer's primary contact).
    deactivated_by_staff: Mapped[bool] = mapped_column(default=False, server_default=false())
    session_token: Mapped[str] = mapped_column(String(64))
    last_login: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The TOTP time step of the last accepted code: a code is good once (core/twofactor.py).
    totp_last_step: Mapped[int | None]
    # The contact's language: pages and the emails it receives are formatted for it.
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")
    # The nonce of the newest emailed sign-in link (core/services/sign_in_links.py): a new link
    # replaces it, using the link clears it. NULL: no link is usable.
    sign_in_link_nonce: Mapped[str | None] = mapped_column(String(64))
    # The random WebAuthn user handle its passkeys carry (core/services/passkeys.py), set at
    # its first passkey: neither the database id nor the address, which would leak to the device.
    passkey_user_handle: Mapped[str | None] = mapped_column(String(100), unique=True)
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship(back_populates="contacts")
    permission_rows: Mapped[list[ContactPermission]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    notification_rows: Mapped[list[ContactNotification]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    # The permission keys joined with commas, filled only by the login query (core/auth.py): the
    # contact loaded on every request comes back as one row instead of one row per permission.
    granted_keys: Mapped[str | None] = query_expression()

    __mapper_args__ = {"version_id_col": version}

    kind = "contact"

    def get_id(self) -> str:
        return f"contact:{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def permissions(self) -> frozenset[str]:
        """The contact's permission keys (from the login query's column when it loaded one)."""
        if self.granted_keys is not None:
            return _split_keys(self.granted_keys)
        return frozenset(row.permission for row in self.permission_rows)

    @property
    def notifications(self) -> frozenset[str]:
        return frozenset(row.notification for row in self.notification_rows)

    def can(self, permission: str) -> bool:
        """The one permission predicate: used by route guards, menus and templates."""
        return permission in self.permissions

    def wants(self, notification: str) -> bool:
        return notification in self.notifications

    @hybrid_property
    def may_log_in(self) -> bool:
        """The login rule: an active contact of an active customer (loads ``customer``)."""
        return self.active and self.customer.active

    @may_log_in.inplace.expression
    @classmethod
    def _may_log_in_expression(cls):
        # EXISTS rather than a join: usable in any statement on contacts without changing its rows.
        return and_(cls.active, exists().where(Customer.id == cls.customer_id, Customer.active))

    @hybrid_method
    def receives(self, notification: str) -> bool:
        """The recipient rule: may log in, has the toggle on, and holds the permission it needs."""
        return self.may_log_in and self.wants(notification) and notification_allowed(notification, self.permissions)

    @receives.inplace.expression
    @classmethod
    def _receives_expression(cls, notification: str):
        return and_(
            cls.may_log_in,
            exists().where(ContactNotification.contact_id == cls.id, ContactNotification.notification == notification),
            exists().where(
                ContactPermission.contact_id == cls.id,
                ContactPermission.permission == NOTIFICATIONS_BY_KEY[notification].permission,
            ),
        )

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email}>"


class ContactPermission(db.Model):
    __tablename__ = "contact_permissions"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(String(32), primary_key=True)


class ContactNotification(db.Model):
    __tablename__ = "contact_notifications"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    notification: Mapped[str] = mapped_column(String(32), primary_key=True)


class RecoveryCode(db.Model):
    """A one-time code that replaces the TOTP code once; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class Setting(db.Model):
    """Key/value application settings edited by administrators."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


def contacts_of(customer_id: int):
    """A select() of a customer's contacts, primary first: callers paginate or narrow it."""
    return (
        select(Contact)
        .where(Contact.customer_id == customer_id)
        .order_by(Contact.is_primary.desc(), Contact.first_name, Contact.id)
    )
