"""Configuration: defaults here, overrides from the environment.

``DATABASE_URL`` selects the database (SQLite file under ``instance/`` when unset);
any ``PORTAL_<NAME>`` environment variable sets ``<NAME>`` (Flask's prefixed env loading).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def database_url() -> str:
    """The SQLAlchemy URL: ``DATABASE_URL`` if set (postgres:// normalised to psycopg 3)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE / 'portal.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105  # nosec B105


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url()
    # No "ping" round trip before every request's first query (pool_pre_ping cost PostgreSQL
    # pages 5-10 % of their requests/s): connections are replaced after DATABASE_POOL_RECYCLE
    # seconds instead, and after a database restart SQLAlchemy drops the whole pool at the
    # first failed query (a GET is then retried on a fresh connection, core/faults.py; a POST
    # gets the 503 page). DATABASE_POOL_PRE_PING=1 turns the ping on.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_recycle": int(os.environ.get("DATABASE_POOL_RECYCLE", "1800")),
        "pool_pre_ping": os.environ.get("DATABASE_POOL_PRE_PING", "") == "1",
    }
    COMPANY_NAME = os.environ.get("COMPANY_NAME", "Northwind Services")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    PAGE_SIZE = 20
    # 16 MB: bodies above this get a 413 instead of being read into memory.
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Uploads live outside static/ and are served only through authorized routes.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
    UPLOAD_ALLOWED_EXTENSIONS = frozenset(
        os.environ.get("UPLOAD_ALLOWED_EXTENSIONS", "pdf,png,jpg,jpeg,gif,txt,csv,doc,docx,xls,xlsx,zip").split(",")
    )
    # Login throttling (Flask-Limiter); memory:// per process, redis://host:6379 to share.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # A failing store never stops logins: the limits are counted in the process's memory until
    # it answers again, and a hung Redis is given up after this many seconds (core.extensions).
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = os.environ.get("RATELIMIT_IN_MEMORY_FALLBACK", "1") == "1"
    RATELIMIT_REDIS_TIMEOUT = float(os.environ.get("RATELIMIT_REDIS_TIMEOUT", "0.5"))
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "30 per minute;300 per hour")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;30 per hour")
    # /readyz (core/health.py) also checks Redis when READYZ_REDIS=1, and fails when the oldest
    # email due in the outbox has waited longer than READYZ_OUTBOX_MAX_AGE seconds (0: no check).
    READYZ_REDIS = os.environ.get("READYZ_REDIS", "") == "1"
    READYZ_OUTBOX_MAX_AGE = float(os.environ.get("READYZ_OUTBOX_MAX_AGE", "0") or 0)
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (Werkzeug's
    # ProxyFix). 0 (the default) trusts no such header: a client could set it itself. Behind
    # one nginx or load balancer set 1, or every client has the proxy's address (one shared
    # login limit for everybody, the proxy's IP in the audit log and the signatures).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
    # Unknown Host headers get a 400 when this is set (comma-separated; Flask's TRUSTED_HOSTS).
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    SESSION_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https://")
    REMEMBER_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https://")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # argon2id cost; tests lower it so the suite stays fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    # Email: with MAIL_SERVER unset (the embedded default) every email is only stored and
    # readable in the admin email log; with it set, the dispatcher delivers over SMTP.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "portal@localhost")
    MAIL_MESSAGE_ID_DOMAIN = os.environ.get("MAIL_MESSAGE_ID_DOMAIN", "portal.localhost")
    MAIL_TIMEOUT = 10
    MAIL_BATCH_SIZE = 100
    # The dispatcher marks sent rows in groups of this many (one UPDATE and one commit each;
    # failures and retries are committed at once). A dispatcher killed mid-group resends at
    # most this many emails after the lease, with the same Message-ID; 1 commits every row
    # (measured: about a third slower, see bench/README.md).
    MAIL_COMMIT_EVERY = int(os.environ.get("MAIL_COMMIT_EVERY", "20"))
    MAIL_MAX_ATTEMPTS = 8
    # A claimed row another dispatcher may take over once its claim is this old; a running
    # dispatcher renews the claim of its batch every third of it.
    MAIL_LEASE_SECONDS = float(os.environ.get("MAIL_LEASE_SECONDS", "600"))
    # The flush after a request sends that request's emails for at most this long (the rest
    # stays queued for the dispatcher), well inside gunicorn's worker timeout.
    MAIL_FLUSH_SECONDS = float(os.environ.get("MAIL_FLUSH_SECONDS", "5"))
    # Deliver right after a request that queued email (handy without a separate worker);
    # production runs `flask mail-dispatch --loop` and switches this off.
    MAIL_FLUSH_AFTER_REQUEST = os.environ.get("MAIL_FLUSH_AFTER_REQUEST", "1") == "1"
    # Webhooks (core/webhooks/): delivered by the dispatcher (`flask mail-dispatch --loop` sends
    # emails and webhooks; `flask webhook-dispatch` only webhooks). Each request may take
    # WEBHOOK_TIMEOUT seconds to connect and per read; a failed attempt is retried after the
    # schedule's next wait (seconds; the last repeats) until WEBHOOK_MAX_ATTEMPTS, then failed.
    WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
    WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
    WEBHOOK_RETRY_SCHEDULE = (5, 30, 120, 600, 3600, 7200, 14400)
    WEBHOOK_BATCH_SIZE = int(os.environ.get("WEBHOOK_BATCH_SIZE", "20"))
    # A claimed delivery another dispatcher may take over once its claim is this old (a
    # dispatcher that died mid-request); a live one stops starting requests at half of it.
    WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "300"))
    # Endpoints on loopback addresses (127.0.0.1, ::1, localhost) are refused like every
    # private address; tests switch this on for their receiver. Never in production.
    WEBHOOKS_ALLOW_LOOPBACK = os.environ.get("WEBHOOKS_ALLOW_LOOPBACK", "") == "1"
    # Card payments through Stripe (core/payments/): off while STRIPE_SECRET_KEY is unset. The
    # secrets come from the environment only and are never shown back. STRIPE_API_BASE and
    # STRIPE_JS_URL point at localstripe for local work and tests.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    PAY_LIMIT = os.environ.get("PAY_LIMIT", "20 per minute;200 per hour")
    # The REST API (api/): where it is mounted, and the requests per token (Flask-Limiter).
    API_PREFIX = "/api/v1"
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")


class TestConfig(Config):
    TESTING = True
    # Used by the test suite only.
    SECRET_KEY = "test-secret"  # noqa: S105  # nosec B105
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64
    SERVER_NAME = None
    # Never the machine's own Stripe keys: payment tests set localstripe's explicitly.
    STRIPE_SECRET_KEY = ""  # noqa: S105  # nosec B105
    STRIPE_PUBLISHABLE_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""  # noqa: S105  # nosec B105
    # The tests' webhook receiver listens on loopback (tests/webhook_receiver.py).
    WEBHOOKS_ALLOW_LOOPBACK = True
