"""The schema is made by migrations only: one head, and no drift from the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate, downgrade, upgrade
from sqlalchemy import inspect

from core.extensions import db


def test_single_head(app):
    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_models_match_migrations(app):
    # The session fixture upgraded an empty database to head; autogenerate must find nothing.
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_migrate_extension_is_configured(app):
    assert isinstance(app.extensions["migrate"].migrate, Migrate)


def test_deactivated_by_staff_migration_goes_down_and_up(app):
    config = app.extensions["migrate"].migrate.get_config()
    below = ScriptDirectory.from_config(config).get_revision("3c2f8e1d9a47").down_revision

    def columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("contacts")}

    try:
        downgrade(revision=below)
        db.engine.dispose()
        assert "deactivated_by_staff" not in columns()
    finally:
        upgrade()
        db.engine.dispose()
    assert "deactivated_by_staff" in columns()


def test_card_payments_migration_goes_down_and_up(app):
    config = app.extensions["migrate"].migrate.get_config()
    below = ScriptDirectory.from_config(config).get_revision("d17a5c0b2e61").down_revision

    def tables() -> set[str]:
        return set(inspect(db.engine).get_table_names())

    def payment_columns() -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns("payments")}

    try:
        downgrade(revision=below)
        db.engine.dispose()
        assert {"payment_attempts", "gateway_events"}.isdisjoint(tables())
        assert "gateway_reference" not in payment_columns()
    finally:
        upgrade()
        db.engine.dispose()
    assert {"payment_attempts", "gateway_events"} <= tables()
    assert {"kind", "gateway", "gateway_reference", "status", "refunded_amount"} <= payment_columns()


def test_staff_sign_in_links_migration_goes_down_and_up(app):
    config = app.extensions["migrate"].migrate.get_config()
    below = ScriptDirectory.from_config(config).get_revision("8e4b1c7d2a93").down_revision

    def columns(table: str) -> set[str]:
        return {c["name"] for c in inspect(db.engine).get_columns(table)}

    try:
        downgrade(revision=below)
        db.engine.dispose()
        assert "sign_in_link_nonce" not in columns("staff_users")
        assert "area" not in columns("sign_in_link_requests")
    finally:
        upgrade()
        db.engine.dispose()
    assert "sign_in_link_nonce" in columns("staff_users")
    assert "area" in columns("sign_in_link_requests")


def test_passkeys_migration_goes_down_and_up(app):
    config = app.extensions["migrate"].migrate.get_config()
    below = ScriptDirectory.from_config(config).get_revision("8e4a1c7b3f20").down_revision

    def tables() -> set[str]:
        return set(inspect(db.engine).get_table_names())

    def handles() -> list[bool]:
        return [
            "passkey_user_handle" in {c["name"] for c in inspect(db.engine).get_columns(table)}
            for table in ("contacts", "staff_users")
        ]

    try:
        downgrade(revision=below)
        db.engine.dispose()
        assert {"passkeys", "passkey_challenges"}.isdisjoint(tables())
        assert handles() == [False, False]
    finally:
        upgrade()
        db.engine.dispose()
    assert {"passkeys", "passkey_challenges"} <= tables()
    assert handles() == [True, True]


def test_api_tokens_migration_goes_down_and_up(app):
    config = app.extensions["migrate"].migrate.get_config()
    below = ScriptDirectory.from_config(config).get_revision("a3e7c91d5b20").down_revision

    def tables() -> set[str]:
        return set(inspect(db.engine).get_table_names())

    try:
        downgrade(revision=below)
        db.engine.dispose()
        assert "api_tokens" not in tables()
    finally:
        upgrade()
        db.engine.dispose()
    assert "api_tokens" in tables()


def test_webhooks_migration_goes_down_and_up(app):
    config = app.extensions["migrate"].migrate.get_config()
    below = ScriptDirectory.from_config(config).get_revision("8b1e4c7a2d90").down_revision

    def tables() -> set[str]:
        return set(inspect(db.engine).get_table_names())

    try:
        downgrade(revision=below)
        db.engine.dispose()
        assert {"webhook_endpoints", "webhook_deliveries"}.isdisjoint(tables())
    finally:
        upgrade()
        db.engine.dispose()
    assert {"webhook_endpoints", "webhook_deliveries"} <= tables()
