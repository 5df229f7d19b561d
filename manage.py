#!/usr/bin/env python3
"""Set up and run the portal with nothing but Python 3.11+ installed.

    python3 manage.py run     # venv, install, migrate, demo data, start on http://localhost:5000
    python3 manage.py test    # venv, install test tools (axe-core with npm ci), run the whole test suite
    python3 manage.py lint    # ruff check + format check + bandit
    python3 manage.py audit   # pip-audit of requirements.txt
    python3 manage.py translations  # extract strings, update translations/de, compile

Only the standard library is used here: this file has to work before anything is installed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def sh(*args: str | Path, env: dict | None = None) -> None:
    print("$", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)  # noqa: S603 - our own fixed commands


def ensure_venv(requirements: str) -> None:
    if not PYTHON.exists():
        print(f"Creating virtualenv in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{requirements}"
    wanted = (ROOT / requirements).read_text() + (ROOT / "requirements.txt").read_text()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    sh(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", requirements)
    stamp.write_text(wanted)


def install(requirements: str) -> None:
    """The virtualenv with ``requirements`` (the compiled message catalogs are committed)."""
    ensure_venv(requirements)


def local_secret_key() -> str:
    """A random secret key for this checkout, made once and kept in ``instance/secret_key``.

    The app refuses to start with the public development key outside debug mode; the Quick
    start gets its own key instead, so sessions and emailed links survive a restart.
    """
    path = ROOT / "instance" / "secret_key"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def flask_env() -> dict:
    env = dict(os.environ)
    env.setdefault("FLASK_APP", "wsgi.py")
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = local_secret_key()
    return env


def run() -> None:
    install("requirements.txt")
    env = flask_env()
    sh(PYTHON, "-m", "flask", "db", "upgrade", env=env)
    sh(PYTHON, "-m", "flask", "seed-demo", env=env)
    port = os.environ.get("PORT", "5000")
    # localhost, not 127.0.0.1: passkeys need a host name (an IP address cannot be a WebAuthn
    # relying party), and PUBLIC_BASE_URL must be the address the browser shows.
    env.setdefault("PUBLIC_BASE_URL", f"http://localhost:{port}")
    base = env["PUBLIC_BASE_URL"].rstrip("/")
    print(
        "\nThe portal is starting:\n"
        f"  Customer area  {base}/\n"
        f"  Admin area     {base}/admin/\n"
        "Log in with one of the demo logins above. Stop with Ctrl+C.\n",
        flush=True,
    )
    sh(PYTHON, "-m", "flask", "run", "--port", port, env=env)


def lint() -> None:
    ensure_venv("requirements-dev.txt")
    sh(PYTHON, "-m", "ruff", "check", ".")
    sh(PYTHON, "-m", "ruff", "format", "--check", ".")
    # Security lint of the application code; findings are fixed or justified in place (# nosec).
    sh(PYTHON, "-m", "bandit", "-q", "-r", "core", "portal", "admin", "api")


def audit() -> None:
    """Known vulnerabilities in the pinned requirements (needs the vulnerability service)."""
    ensure_venv("requirements-dev.txt")
    sh(PYTHON, "-m", "pip_audit", "-r", "requirements.txt", "--progress-spinner", "off")


def ensure_node_tools() -> None:
    """axe-core for the accessibility browser tests (package-lock.json), installed with npm ci.

    Without npm a note is printed and the tests go on: the axe tests then skip, or fail when
    PORTAL_REQUIRE_BROWSER=1 (CI), like the other browser tests without Chromium.
    """
    axe = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    lock = ROOT / "package-lock.json"
    if axe.exists() and axe.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        print("Note: npm is not installed, so axe-core is not; the accessibility browser tests skip.", flush=True)
        return
    try:
        sh(npm, "ci", "--no-audit", "--no-fund")
    except subprocess.CalledProcessError:
        print("Note: npm ci failed (offline?); the accessibility browser tests cannot run.", flush=True)
        return
    axe.touch()  # npm ci keeps the package's own file times; mark it as newer than the lock file


def test(extra: list[str]) -> None:
    install("requirements-dev.txt")
    ensure_node_tools()
    sh(PYTHON, "-m", "pytest", *extra, env=flask_env())


def translations() -> None:
    install("requirements-dev.txt")
    sh(PYTHON, "-m", "core.translations")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "run"
    try:
        if command == "run":
            run()
        elif command == "test":
            test(argv[2:])
        elif command == "lint":
            lint()
        elif command == "audit":
            audit()
        elif command == "translations":
            translations()
        else:
            print(__doc__)
            return 2
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
