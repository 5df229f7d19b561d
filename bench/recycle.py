#!/usr/bin/env python3
"""Latency while gunicorn recycles its workers (``max_requests``), with ``gunicorn.conf.py``.

    python bench/recycle.py [--label NAME] [--duration 60] [--connections 16] [--max-requests 1000]
                            [--jitter N] [--no-preload]

Starts gunicorn (``gunicorn.conf.py``, 2 sync workers, ``bench.floor_app:app``) on loopback and
drives it from threads for ``--duration`` seconds (one new connection per request, as a proxy
without keep-alive does) over a bare route and the login page, with ``--max-requests`` scaled
down from production's 10,000 so that every worker is recycled several times during the run;
the jitter is half of it unless ``--jitter`` (the shipped ratio). ``--no-preload --jitter 200
--max-requests 2000`` is the configuration before (each new worker imports the app itself).

``--login EMAIL`` (password ``--password``, e.g. ``flask seed-demo``'s anna@acme.example) adds
the contact's session cookie, so every request loads the contact from the database;
``--kill-backends SECONDS`` (PostgreSQL) terminates all of the app's database connections with
``pg_terminate_backend`` that often, as a database restart does: GETs must still all succeed.

Reports requests, errors, p50/p95/p99/max latency, the longest time in which no request
completed, and how many workers were recycled (from gunicorn's log); writes
``bench/results/recycle-<label>.json``. The database is only needed for the app to start.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess  # nosec B404
import sys
import threading
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOGS = ROOT / "bench" / ".logs"
PATHS = ("/bench/floor", "/login")
SECRET_KEY = "bench-secret-not-for-production-0123456789abcdef"  # noqa: S105  # nosec B105


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


COOKIE: dict[str, str] = {}


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Connection": "close", **COOKIE})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _wait_ready(port: int, proc: subprocess.Popen) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(f"gunicorn exited; see {LOGS}")
        try:
            if _get(port, "/bench/floor") == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise click.ClickException("gunicorn did not answer in time")


def _login(port: int, email: str, password: str) -> None:
    import re

    import requests

    session = requests.Session()
    page = session.get(f"http://127.0.0.1:{port}/login", timeout=30).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page)
    data = {"email": email, "password": password}
    if token:
        data["csrf_token"] = token.group(1) or token.group(2)
    answer = session.post(f"http://127.0.0.1:{port}/login", data=data, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise click.ClickException(f"login as {email} failed: {answer.status_code}")
    COOKIE["Cookie"] = "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def _terminator(url: str, every: float, stop_at: float, kills: list[int]) -> None:
    import psycopg

    database = url.rsplit("/", 1)[-1]
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() + every < stop_at:
            time.sleep(every)
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
            kills.append(len(rows))


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@click.command()
@click.option("--database-url", default=os.environ.get("DATABASE_URL", ""), help="default: the SQLite file")
@click.option("--label", default="shipped")
@click.option("--duration", default=60, type=int)
@click.option("--connections", default=16, type=int)
@click.option("--max-requests", default=1000, type=int)
@click.option("--jitter", default=None, type=int, help="default: half of --max-requests")
@click.option("--no-preload", is_flag=True)
@click.option("--login", "login_email", default="", help="log in as this contact first")
@click.option("--password", default="demo-pass-2026")
@click.option("--kill-backends", default=0.0, type=float, help="terminate the app's PostgreSQL backends every N s")
def main(
    database_url, label, duration, connections, max_requests, jitter, no_preload, login_email, password, kill_backends
):
    """Measure latency under worker recycling and write bench/results/recycle-<label>.json."""
    port = _free_port()
    LOGS.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    log = LOGS / f"recycle-{label}.log"
    env = dict(
        os.environ,
        SECRET_KEY=SECRET_KEY,
        MAIL_FLUSH_AFTER_REQUEST="0",
        GUNICORN_MAX_REQUESTS=str(max_requests),
        GUNICORN_PRELOAD="0" if no_preload else "1",
        GUNICORN_ACCESS_LOG="/dev/null",
        LOGIN_LIMIT_PER_IP="100000 per minute",
        LOGIN_LIMIT_PER_ACCOUNT="100000 per minute",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if jitter is not None:
        env["GUNICORN_MAX_REQUESTS_JITTER"] = str(jitter)
    cmd = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-b", f"127.0.0.1:{port}"]
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603  # nosec
            [*cmd, "bench.floor_app:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(port, proc)
        if login_email:
            _login(port, login_email, password)
        latencies: list[float] = []
        finished: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + duration

        def drive(number: int) -> None:
            turn = number
            while time.monotonic() < stop_at:
                path = PATHS[turn % len(PATHS)]
                turn += 1
                started = time.monotonic()
                try:
                    status = _get(port, path)
                    problem = None if status == 200 else f"{status} {path}"
                except OSError as exc:
                    problem = f"{type(exc).__name__} {path}"
                done = time.monotonic()
                with lock:
                    latencies.append(done - started)
                    finished.append(done)
                    if problem:
                        errors.append(problem)

        begin = time.monotonic()
        threads = [threading.Thread(target=drive, args=(n,)) for n in range(connections)]
        kills: list[int] = []
        if kill_backends:
            threads.append(threading.Thread(target=_terminator, args=(database_url, kill_backends, stop_at, kills)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    marks = [begin, *sorted(finished)]
    stall = max(b - a for a, b in zip(marks, marks[1:], strict=False))
    recycled = log.read_text(errors="replace").count("Autorestarting worker")
    result = {
        "label": label,
        "preload": not no_preload,
        "max_requests": max_requests,
        "jitter": jitter if jitter is not None else max_requests // 2,
        "connections": connections,
        "duration_s": duration,
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:10],
        "requests_per_s": round(len(latencies) / duration, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "longest_gap_ms": round(stall * 1000, 1),
        "workers_recycled": recycled,
        "logged_in": bool(login_email),
        "backend_kills": len(kills),
        "backends_terminated": sum(kills),
    }
    (RESULTS / f"recycle-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    click.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
