"""Flask extension instances, created unbound and initialised by the app factory."""

import sqlite3

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from core.read_only import ReadOnlyAwareSession

# A naming convention makes constraint names identical on SQLite and PostgreSQL, so
# migrations written once apply to both and autogenerate produces no spurious diffs.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# GET and HEAD requests read in autocommit (core/read_only.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": ReadOnlyAwareSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
mail = Mail()
bootstrap = Bootstrap5()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

REDIS_SCHEMES = ("redis://", "rediss://", "redis+")


def init_limiter(app) -> None:
    """Bind the rate limiter so that logins keep working when its storage fails.

    With ``RATELIMIT_STORAGE_URI=redis://...`` a Redis that is down makes Flask-Limiter count in
    this process's memory instead (``RATELIMIT_IN_MEMORY_FALLBACK_ENABLED``, on by default) and go
    back to Redis once it answers again; a hung Redis costs at most ``RATELIMIT_REDIS_TIMEOUT``
    seconds (socket timeouts) before that, instead of blocking every login.
    """
    uri = app.config.get("RATELIMIT_STORAGE_URI") or ""
    if uri.startswith(REDIS_SCHEMES):
        timeout = float(app.config["RATELIMIT_REDIS_TIMEOUT"])
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        options.update(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        app.config["RATELIMIT_STORAGE_OPTIONS"] = options
    limiter.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores ON DELETE rules unless asked per connection; PostgreSQL always applies them.
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets the web process read while a dispatcher writes; NORMAL sync is safe with WAL
        # and avoids an fsync per commit.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
