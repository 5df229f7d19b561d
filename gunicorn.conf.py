"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden with an environment variable, so one file serves a laptop, a
container and a VM.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# The app is imported once, in the master, before the workers are forked: a new worker (at start
# or when one is recycled) is serving within milliseconds instead of importing the app for
# seconds. A release therefore restarts gunicorn (systemctl restart, a new container), not HUP.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Recycle workers now and then so a slow leak can never grow without bound. The jitter (half
# the limit) spreads the restarts over time, so workers never restart all at once; 0 disables.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", str(max_requests // 2)))
# Logs to stdout/stderr: the process manager (systemd, Docker) collects them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# The request id (core/logs.py) ends each access line, so it joins the app's lines of the request.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a reverse proxy that sets X-Forwarded-*, trust only that proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """Each worker opens its own database connections: none made in the master is shared."""
    if not preload_app:
        return
    from core.extensions import db
    from wsgi import app

    with app.app_context():
        db.engine.dispose(close=False)
