"""Deploy the portal as the README's Production section says, then check German pages and emails.

    .venv/bin/python .ci/deploy_check.py   (from the repository root; .ci/run calls it)

On a fresh clone of this checkout, in a virtualenv of its own with only ``requirements.txt``:
``flask db upgrade`` on a new PostgreSQL database, ``gunicorn -c gunicorn.conf.py wsgi:app``,
``flask mail-dispatch --loop`` delivering to an SMTP server on loopback, limits in Redis. The
demo data gives it a contact (``flask seed-demo``), whose language is set to German. Then:

- ``GET /login`` with ``Accept-Language: de`` is German;
- a password reset requested on the German page reaches the SMTP server in German, with a link
  that opens the German reset page.

Runs with the test virtualenv (aiosmtpd for the SMTP server); exits non-zero on any failure.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.smtp import SmtpServer, free_port  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432"
CONTACT = "anna@acme.example"


def run(*args: str, env: dict, cwd: Path) -> None:
    print("$", " ".join(args), flush=True)
    subprocess.run(args, check=True, env=env, cwd=cwd)  # noqa: S603 - fixed commands


def psql(database: str, sql: str) -> None:
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", f"{PG}/{database}", "-c", sql]
    subprocess.run(command, check=True)  # noqa: S603, S607 - fixed command


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - loopback URL
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class Browser:
    """Cookies kept between requests, German preferred, redirects followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: dict | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=body, headers={"Accept-Language": "de"})  # noqa: S310
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "the form has a CSRF token"
    return match.group(1)


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="portal-deploy-"))
    database = f"portal_deploy_{os.getpid()}"
    processes: list[subprocess.Popen] = []
    smtp = SmtpServer().start()
    port = free_port()
    psql("postgres", f'CREATE DATABASE "{database}"')
    try:
        app = work / "app"
        run("git", "clone", "-q", str(ROOT), str(app), env=dict(os.environ), cwd=work)
        # The system's Python, as on a fresh machine (not the test virtualenv running this).
        run(shutil.which("python3") or "python3", "-m", "venv", str(work / "venv"), env=dict(os.environ), cwd=work)
        bin_dir = work / "venv" / "bin"
        pip = [str(bin_dir / "pip"), "install", "-q", "--disable-pip-version-check", "-r", "requirements.txt"]
        run(*pip, env=dict(os.environ), cwd=app)
        env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "HOME": os.environ.get("HOME", str(work)),
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"{PG}/{database}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "TRUSTED_HOSTS": "127.0.0.1",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_DEFAULT_SENDER": "portal@example.com",
            "MAIL_FLUSH_AFTER_REQUEST": "0",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
            "UPLOAD_FOLDER": str(work / "uploads"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
        }
        run("flask", "db", "upgrade", env=env, cwd=app)
        run("flask", "seed-demo", env=env, cwd=app)
        psql(database, f"UPDATE contacts SET language = 'de' WHERE email = '{CONTACT}'")  # noqa: S608 - a constant
        processes.append(subprocess.Popen(["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], env=env, cwd=app))  # noqa: S603, S607
        processes.append(subprocess.Popen(["flask", "mail-dispatch", "--loop"], env=env, cwd=app))  # noqa: S603, S607
        base = env["PUBLIC_BASE_URL"]
        wait_for(base + "/login")

        browser = Browser(base)
        login_page = browser.open("/login")
        check('lang="de"' in login_page and "Anmelden" in login_page, "GET /login with Accept-Language: de is German")

        form = browser.open("/forgot-password")
        check("Passwort vergessen" in form or "zurücksetzen" in form, "the reset request page is German")
        browser.open("/forgot-password", {"csrf_token": csrf_token(form), "email": CONTACT})
        deadline = time.monotonic() + 60
        while not smtp.to(CONTACT) and time.monotonic() < deadline:
            time.sleep(0.5)
        messages = smtp.to(CONTACT)
        check(len(messages) == 1, "the dispatcher delivered the reset email over SMTP")
        message = messages[0]
        text = message.get_body(("plain",)).get_content()
        check("Passwort" in message["Subject"] and "zurücksetzen" in message["Subject"], "its subject is German")
        check("Passwort" in text, "its text is German")
        link = re.search(rf"{re.escape(base)}/reset-password/\S+", text)
        check(link is not None, "it links to the reset page")
        reset_page = browser.open(link.group(0))
        check('lang="de"' in reset_page and "Passwort" in reset_page, "the link opens the German reset page")
        return 0
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()
        psql("postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
