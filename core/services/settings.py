"""Application settings stored in the ``settings`` table."""

from __future__ import annotations

from sqlalchemy import exists

from core.catalogs import PERMISSION_KEYS, PERMISSIONS
from core.extensions import db
from core.models import Setting

DEFAULT_PERMISSIONS_KEY = "default_contact_permissions"


def get_setting(key: str, default: str = "") -> str:
    row = db.session.get(Setting, key)
    return row.value if row is not None else default


def default_contact_permissions() -> set[str]:
    """Permissions pre-checked for a new contact; every feature until an admin says otherwise."""
    raw = get_setting(DEFAULT_PERMISSIONS_KEY, ",".join(p.key for p in PERMISSIONS))
    return {key for key in raw.split(",") if key in PERMISSION_KEYS}


def set_default_contact_permissions(keys: set[str]) -> None:
    """Store the default permission set (unknown keys are dropped) and commit."""
    value = ",".join(p.key for p in PERMISSIONS if p.key in keys)
    row = db.session.get(Setting, DEFAULT_PERMISSIONS_KEY)
    if row is None:
        db.session.add(Setting(key=DEFAULT_PERMISSIONS_KEY, value=value))
    else:
        row.value = value
    db.session.commit()


def get_int_setting(key: str, default: int) -> int:
    """An integer setting, or ``default`` when unset or not a number."""
    raw = get_setting(key, "")
    return int(raw) if raw.strip().lstrip("-").isdigit() else default


def set_settings(values: dict[str, object]) -> None:
    """Store several settings at once and commit."""
    for key, value in values.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=str(value)))
        else:
            row.value = str(value)
    db.session.commit()


# Customer-area behaviour switches (administrators change them on the settings page).
CONTACTS_SEE_ALL_TICKETS = "contacts_see_all_tickets"
PRIMARY_MANAGES_CONTACTS = "primary_manages_contacts"


# Whether contacts may ask for an emailed sign-in link (core/services/sign_in_links.py).
SIGN_IN_LINKS = "sign_in_links"
# The yes/no settings that are on until an administrator turns them off; all others start off.
ON_BY_DEFAULT = frozenset({SIGN_IN_LINKS})


def get_bool_setting(key: str, default: bool | None = None) -> bool:
    """A yes/no setting stored as "1"/"0"; unset, ``default`` (else on for ``ON_BY_DEFAULT``)."""
    raw = get_setting(key, "")
    if raw == "":
        return key in ON_BY_DEFAULT if default is None else default
    return raw == "1"


def bool_setting_on(key: str):
    """``get_bool_setting(key)`` (default off) as SQL: an EXISTS read in the statement it is part of."""
    return exists().where(Setting.key == key, Setting.value == "1")


REQUIRE_STAFF_TWO_FACTOR = "require_staff_two_factor"
