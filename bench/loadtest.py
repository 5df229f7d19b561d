#!/usr/bin/env python3
"""Load test of the customer area under gunicorn on loopback, next to the framework floor.

    python bench/loadtest.py [--database-url URL] [--label NAME] [--duration 10] [--connections 8]

1. Queries per page: the real app in this process (Flask test client, no server), one SQL
   statement counter on the engine, a few contacts per page; also the in-process time per page
   and the part of it spent waiting for the database.
2. gunicorn (``gunicorn.conf.py``, 2 sync workers, ``bench.floor_app:app``: the real app plus a
   bare ``/bench/floor`` route) on 127.0.0.1, with MAIL_FLUSH_AFTER_REQUEST=0, a SECRET_KEY
   and high login limits. GUNICORN_MAX_REQUESTS=0 unless --keep-max-requests (recycling a
   worker every ~2,000 requests restarts the app mid-run and resets the peak RSS).
3. N contacts (of N different customers) log in through the real login form (CSRF token
   parsed from /login); every URL is checked once per contact (200, right content type).
4. wrk per page (``wrk -t2 -c8 -d10s``, bench/wrk_requests.lua cycling through the contacts'
   URLs and cookies): requests/s and p50/p95/p99; the floor first and last (its mean is used).
5. Peak RSS (VmHWM) of each gunicorn worker; results to bench/results/<label>.json and a
   markdown table on stdout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
from common import (
    BENCH,
    BENCH_SECRET_KEY,
    PASSWORD,
    RESULTS,
    ROOT,
    WEB_TWEAKS,
    app_state,
    apply_web_tweaks,
    db_label,
    load_average,
    make_app,
    read_last,
    wait_for_idle,
)

PAGES = (
    # key, label, path template
    ("floor", "floor: bare route, no session", "/bench/floor"),
    ("floor_session", "bare route + session (loads the contact)", "/bench/floor"),
    ("dashboard", "dashboard", "/dashboard"),
    ("invoices", "invoice list", "/invoices"),
    ("invoice", "invoice detail", "/invoices/{invoice}"),
    ("invoice_pdf", "invoice PDF", "/invoices/{invoice}/pdf"),
    ("project", "project page", "/projects/{project}"),
    # The REST API with a bearer token (no session): a page of 50 contacts, a page of a
    # customer's invoices (up to 50).
    ("api_contacts", "API: contacts list, 50 per page", "/api/v1/contacts?cursor={contacts_cursor}"),
    ("api_invoices", "API: a customer's invoices, 50 per page", "/api/v1/invoices?customer_id={customer}"),
)
PORTAL_PAGES = ("dashboard", "invoices", "invoice", "invoice_pdf", "project")
API_PAGES = ("api_contacts", "api_invoices")


# --------------------------------------------------------------------------------------------
# who logs in, and which documents they open


def pick_contacts(app, n: int) -> list[dict]:
    """Primary contacts of n customers spread over the id range, with an invoice and a project each."""
    from sqlalchemy import func, select

    from api.pagination import encode_cursor
    from core.catalogs import DEFAULT_PROJECT_SETTINGS
    from core.extensions import db
    from core.models import Contact, Customer, Invoice, InvoiceItem, Project

    with app.app_context():
        customer_ids = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
        step = max(len(customer_ids) // n, 1)
        chosen = customer_ids[::step][:n]
        picked = []
        for cid in chosen:
            contact = db.session.scalar(
                select(Contact).where(Contact.customer_id == cid, Contact.is_primary, Contact.active)
            )
            # An invoice with 3 line items and a payment where there is one: the fuller page.
            items = select(func.count(InvoiceItem.id)).where(InvoiceItem.invoice_id == Invoice.id).scalar_subquery()
            invoice = db.session.scalar(
                select(Invoice.id)
                .where(Invoice.customer_id == cid, Invoice.status.in_(("paid", "partially_paid", "unpaid")))
                .order_by(items.desc(), Invoice.status.desc(), Invoice.id.desc())
                .limit(1)
            )
            project = db.session.scalar(select(Project.id).where(Project.customer_id == cid).order_by(Project.id))
            if contact and invoice and project:
                picked.append(
                    dict(
                        id=contact.id,
                        email=contact.email,
                        token=contact.session_token,
                        invoice=invoice,
                        project=project,
                        customer=cid,
                        contacts_cursor=encode_cursor(contact.id - 1),
                    )
                )
        assert DEFAULT_PROJECT_SETTINGS  # the generator gives every project the default settings
        return picked


def make_api_tokens(app, people: list[dict]) -> None:
    """One API token (contacts and sales, read) per person, made by the first staff member, as
    ``person["bearer"]``: each has its own throttling bucket, as separate clients would."""
    from sqlalchemy import select

    from core.extensions import db
    from core.models import StaffUser
    from core.services.api_tokens import create_token

    with app.app_context():
        staff = db.session.scalar(select(StaffUser).order_by(StaffUser.id).limit(1))
        if staff is None:
            raise click.ClickException("no staff user to own the API tokens: run bench/generate.py")
        for person in people:
            _token, person["bearer"] = create_token(
                "bench", frozenset({"contacts:read", "sales:read"}), None, actor=staff
            )


# --------------------------------------------------------------------------------------------
# 1. queries per page, in process


def count_queries(app, contacts: list[dict], repeat: int = 20) -> dict:
    """Per page: SQL statements per request (min/max over contacts) and in-process timings."""
    from sqlalchemy import event

    from core.extensions import db

    stats: dict[str, dict] = {}
    with app.app_context():
        engine = db.engine
    state = {"n": 0, "t": 0.0, "start": []}

    def before(conn, cursor, statement, params, context, executemany):
        state["n"] += 1
        state["start"].append(time.perf_counter())

    def after(conn, cursor, statement, params, context, executemany):
        state["t"] += time.perf_counter() - state["start"].pop()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        for key, _label, template in PAGES:
            counts, wall, sql = [], [], []
            for i, contact in enumerate(contacts):
                client = app.test_client()
                client.environ_base["HTTP_USER_AGENT"] = "portal-bench"
                if key in API_PAGES:
                    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {contact['bearer']}"
                elif key != "floor":
                    with client.session_transaction() as sess:
                        sess["_user_id"] = f"contact:{contact['id']}:{contact['token']}"
                        sess["_fresh"] = True
                path = template.format(**contact)
                runs = repeat if i < 3 else 1
                for _ in range(runs):
                    state["n"], state["t"] = 0, 0.0
                    t0 = time.perf_counter()
                    response = client.get(path)
                    wall.append(time.perf_counter() - t0)
                    sql.append(state["t"])
                    if response.status_code != 200:
                        raise click.ClickException(f"{path} as contact {contact['id']}: {response.status_code}")
                    counts.append(state["n"])
            wall.sort()
            stats[key] = dict(
                queries_min=min(counts),
                queries_max=max(counts),
                inprocess_ms_median=round(1000 * wall[len(wall) // 2], 2),
                sql_ms_median=round(1000 * sorted(sql)[len(sql) // 2], 2),
            )
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return stats


# --------------------------------------------------------------------------------------------
# 2. gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(
    url: str, port: int, workers: int, keep_max_requests: bool, log: Path, tweaks: tuple[str, ...] = ()
) -> subprocess.Popen:
    env = dict(os.environ, BENCH_TWEAKS=",".join(tweaks))
    env.update(
        DATABASE_URL=url,
        MAIL_FLUSH_AFTER_REQUEST="0",
        SECRET_KEY=BENCH_SECRET_KEY,
        LOGIN_LIMIT_PER_IP="100000 per minute",
        LOGIN_LIMIT_PER_ACCOUNT="100000 per minute",
        API_RATE_LIMIT="100000000 per minute",
    )
    if not keep_max_requests:
        env["GUNICORN_MAX_REQUESTS"] = "0"
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-c",
        "gunicorn.conf.py",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "bench.floor_app:app",
    ]
    out = log.open("w")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise click.ClickException("gunicorn exited; see the log in bench/.logs/")
        try:
            if requests.get(base + "/bench/floor", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise click.ClickException("gunicorn did not answer in time")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM (peak RSS) and VmRSS of a process, in kB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # our own process group (start_new_session)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --------------------------------------------------------------------------------------------
# 3. logins


CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


def login(base: str, email: str) -> str:
    import requests

    s = requests.Session()
    s.headers["User-Agent"] = "portal-bench"
    page = s.get(base + "/login", timeout=30)
    match = CSRF.search(page.text)
    if not match:
        raise click.ClickException("no csrf_token on /login")
    token = match.group(1) or match.group(2)
    r = s.post(
        base + "/login",
        data={"csrf_token": token, "email": email, "password": PASSWORD, "next": ""},
        allow_redirects=False,
        timeout=30,
    )
    if r.status_code != 302 or "session" not in s.cookies:
        raise click.ClickException(f"login of {email} failed: {r.status_code}")
    # The first page after login stores the CSRF token of the logout form in the session: take
    # that cookie, as a browser would, so the measured requests do not rewrite the session.
    s.get(base + "/dashboard", allow_redirects=False, timeout=30)
    return s.cookies["session"]


def check(base: str, path: str, cookie: str | None, pdf: bool, bearer: str | None = None) -> None:
    import requests

    headers = {"User-Agent": "portal-bench"}
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    r = requests.get(base + path, headers=headers, allow_redirects=False, timeout=30)
    wanted = "application/pdf" if pdf else "application/json" if bearer else "text/"
    if r.status_code != 200 or not r.headers.get("Content-Type", "").startswith(wanted):
        raise click.ClickException(f"GET {path}: {r.status_code} {r.headers.get('Content-Type')}")
    if cookie and "Set-Cookie" in r.headers:
        # Would mean the session is rewritten on every request (e.g. session protection).
        click.echo(f"  note: {path} sets a cookie: {r.headers['Set-Cookie'][:60]}...")


# --------------------------------------------------------------------------------------------
# 4. wrk


def cpu_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


class CpuMeter:
    """CPU seconds the gunicorn workers and the PostgreSQL backends spend during a wrk run.

    Unlike requests/s, CPU time per request hardly changes when other processes share the
    machine, so it is the steadier figure for comparing pages and what-if changes.
    """

    def __init__(self, master_pid: int, url: str):
        self.master_pid = master_pid
        self.engine = None
        if url.startswith("postgres"):
            from common import sqlalchemy_url
            from sqlalchemy import create_engine

            self.engine = create_engine(sqlalchemy_url(url), poolclass=__import__("sqlalchemy.pool").pool.NullPool)

    def backends(self) -> list[int]:
        if self.engine is None:
            return []
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return list(
                conn.scalars(
                    text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            )

    def sample(self) -> dict[str, dict[int, int]]:
        return {
            "app": {pid: cpu_ticks(pid) for pid in children(self.master_pid)},
            "db": {pid: cpu_ticks(pid) for pid in self.backends()},
        }

    @staticmethod
    def seconds(before: dict[int, int], after: dict[int, int]) -> float:
        tick = os.sysconf("SC_CLK_TCK")
        return sum(after[pid] - before.get(pid, 0) for pid in after) / tick


def run_wrk(
    base: str, lines: list[str], duration: int, connections: int, threads: int, meter: CpuMeter | None = None
) -> dict:
    import resource

    before = meter.sample() if meter else None
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        cmd = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(BENCH / "wrk_requests.lua"),
            base,
            "--",
            path,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    finally:
        os.unlink(path)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line[len("BENCH_JSON ") :])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["errors"] = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    n = max(data["requests"], 1)
    wrk_cpu = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    data["wrk_cpu_ms"] = 1000 * wrk_cpu / n
    if meter:
        after = meter.sample()
        data["app_cpu_ms"] = 1000 * CpuMeter.seconds(before["app"], after["app"]) / n
        data["db_cpu_ms"] = 1000 * CpuMeter.seconds(before["db"], after["db"]) / n
    return data


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def table(result: dict) -> str:
    rows = [
        "| page | req/s | % of floor (paired) | p50 ms | p95 ms | p99 ms | queries | CPU ms/req app + db | "
        "CPU vs floor | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    floor_w = result["wrk"].get("floor", {})
    floor_cpu = floor_w.get("app_cpu_ms", 0) + floor_w.get("db_cpu_ms", 0)
    for key, label, _ in PAGES:
        if key not in result["wrk"]:
            continue  # not measured in this run (--pages)
        w = result["wrk"][key]
        floor = w.get("floor_rps") or result["floor_rps"]
        q = result["queries"].get(key, {})
        qtxt = (
            (
                f"{q['queries_min']}"
                if q.get("queries_min") == q.get("queries_max")
                else f"{q.get('queries_min')}-{q.get('queries_max')}"
            )
            if q
            else "-"
        )
        cpu = w.get("app_cpu_ms", 0) + w.get("db_cpu_ms", 0)
        cpu_txt = f"{w.get('app_cpu_ms', 0):.2f} + {w.get('db_cpu_ms', 0):.2f}" if "app_cpu_ms" in w else "-"
        vs = f"{100 * floor_cpu / cpu:.1f}%" if cpu and floor_cpu else "-"
        rows.append(
            f"| {label} | {w['rps']:.0f} | {100 * w['rps'] / floor:.1f}% | {ms(w['p50'])} | {ms(w['p95'])} | "
            f"{ms(w['p99'])} | {qtxt} | {cpu_txt} | {vs} | {w['errors']} |"
        )
    return "\n".join(rows)


class Target:
    """One database under test: its gunicorn, logged-in contacts, request plans and results."""

    def __init__(self, url: str, label: str | None, tweaks: tuple[str, ...], contacts: int, workers: int):
        self.url = url
        last = read_last()
        self.size = "large" if "large" in url else "small" if "small" in url else last.get("size", "?")
        suffix = f"-{'+'.join(tweaks)}" if tweaks else ""
        self.label = label or f"{self.size}-{db_label(url).lower()}{suffix}"
        self.tweaks = tweaks
        self.workers = workers
        self.app = make_app(url)
        apply_web_tweaks(self.app, list(tweaks))
        self.people = pick_contacts(self.app, contacts)
        make_api_tokens(self.app, self.people)
        self.proc: subprocess.Popen | None = None
        self.base = ""
        self.plans: dict[str, list[str]] = {}
        self.meter: CpuMeter | None = None
        self.floor_runs: list[dict] = []

    def start(self, keep_max_requests: bool) -> None:
        with self.app.app_context():
            from core.extensions import db

            db.engine.dispose()
        logs = BENCH / ".logs"
        logs.mkdir(exist_ok=True)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        log = logs / f"gunicorn-{self.label}.log"
        self.proc = start_gunicorn(self.url, port, self.workers, keep_max_requests, log, self.tweaks)
        wait_ready(self.base, self.proc)
        self.meter = CpuMeter(self.proc.pid, self.url)

    def prepare(self, wanted) -> None:
        t0 = time.perf_counter()
        for person in self.people:
            person["cookie"] = login(self.base, person["email"])
        click.echo(f"[{self.label}] logged in {len(self.people)} contacts in {time.perf_counter() - t0:.1f} s")
        for key, _label, template in wanted:
            if key == "floor":
                self.plans[key] = [template]
                check(self.base, template, None, False)
                continue
            self.plans[key] = []
            for person in self.people:
                path = template.format(**person)
                if key in API_PAGES:
                    # wrk_requests.lua sends a second column starting with "Bearer " as Authorization.
                    check(self.base, path, None, False, bearer=person["bearer"])
                    self.plans[key].append(f"{path}\tBearer {person['bearer']}")
                    continue
                check(self.base, path, person["cookie"], key == "invoice_pdf")
                self.plans[key].append(f"{path}\t{person['cookie']}")

    def measure(self, key: str, seconds: int, connections: int, threads: int) -> dict:
        data = run_wrk(self.base, self.plans[key], seconds, connections, threads, self.meter)
        data["load_after"] = load_average()
        click.echo(
            f"  {self.label:<20} {key:<14} {data['rps']:8.1f} req/s  p50 {ms(data['p50'])} p95 {ms(data['p95'])} "
            f"p99 {ms(data['p99'])} ms  CPU/req app {data['app_cpu_ms']:.2f} db {data['db_cpu_ms']:.2f} "
            f"wrk {data['wrk_cpu_ms']:.2f} ms  errors {data['errors']}  (load {data['load_after']})"
        )
        if key == "floor":
            self.floor_runs.append(data)
        return data

    def finish(self, result: dict) -> None:
        """Session check, peak RSS, then stop gunicorn."""
        try:
            if self.proc is not None and self.plans:
                # Sessions still valid after the run (a redirect to /login would have looked fast).
                for person in self.people[:3]:
                    check(self.base, "/dashboard", person["cookie"], False)
                result["rss_kb"] = {str(pid): proc_status(pid) for pid in children(self.proc.pid)}
                result["rss_kb"]["master"] = proc_status(self.proc.pid)
        finally:
            if self.proc is not None:
                stop(self.proc)


def summarise_floor(result: dict, floor_runs: list[dict]) -> None:
    if not floor_runs:
        return
    result["floor_runs"] = [round(r["rps"], 1) for r in floor_runs]
    by_rps = sorted(floor_runs, key=lambda r: r["rps"])
    median = by_rps[len(by_rps) // 2]
    result["wrk"]["floor"] = {**median, "floor_rps": median["rps"], "errors": sum(r["errors"] for r in floor_runs)}
    for field in ("app_cpu_ms", "db_cpu_ms", "wrk_cpu_ms"):
        result["wrk"]["floor"][field] = sum(r[field] for r in floor_runs) / len(floor_runs)


@click.command()
@click.option(
    "--database-url",
    "urls",
    multiple=True,
    help="default: the one in bench/.last-size; give it twice (small and large) to interleave the two",
)
@click.option("--label", default=None, help="results file name (default <size>-<db>); one database only")
@click.option("--duration", default=10, show_default=True, help="seconds per page")
@click.option("--warmup", default=2, show_default=True, help="seconds of warm-up per page")
@click.option("--connections", default=8, show_default=True)
@click.option("--threads", default=2, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--contacts", default=20, show_default=True, help="logged-in contacts (one per customer)")
@click.option("--pages", default=",".join(k for k, _, _ in PAGES), show_default=True)
@click.option("--keep-max-requests", is_flag=True, help="keep gunicorn.conf.py's worker recycling")
@click.option("--skip-queries", is_flag=True)
@click.option("--wait-idle", default=0.0, help="first wait (up to 5 min) for a 1-minute load average below this")
@click.option(
    "--tweak", "tweak_opt", default="", help=f"what-if monkeypatches, comma-separated: {', '.join(WEB_TWEAKS)}"
)
def main(
    urls,
    label,
    duration,
    warmup,
    connections,
    threads,
    workers,
    contacts,
    pages,
    keep_max_requests,
    skip_queries,
    wait_idle,
    tweak_opt,
):
    urls = list(urls) or [read_last().get("database_url")]
    if not urls[0]:
        raise click.ClickException("no --database-url and no bench/.last-size: run bench/generate.py first")
    if label and len(urls) > 1:
        raise click.ClickException("--label needs a single --database-url")
    tweaks = tuple(t for t in tweak_opt.split(",") if t)
    wanted = [p for p in PAGES if p[0] in pages.split(",")]
    targets = []
    for spec in urls:
        # "URL|tweak,tweak" runs that database with extra what-if tweaks (e.g. the same database
        # twice, with and without a tweak, interleaved).
        url, _, extra = spec.partition("|")
        own = tweaks + tuple(t for t in extra.split(",") if t and t not in tweaks)
        targets.append(Target(url, label, own, contacts, workers))
    if len({t.label for t in targets}) != len(targets):
        raise click.ClickException("two targets with the same label")
    results = {}
    for t in targets:
        results[t.label] = dict(
            label=t.label,
            tweaks=list(t.tweaks),
            size=t.size,
            database=db_label(t.url),
            workers=workers,
            connections=connections,
            threads=threads,
            duration=duration,
            contacts=len(t.people),
            interleaved_with=[o.label for o in targets if o is not t],
            wrk={},
        )
    wait_for_idle(wait_idle)
    for t in targets:
        queries = {} if skip_queries else count_queries(t.app, t.people)
        results[t.label]["queries"] = queries
        if queries:
            click.echo(
                f"[{t.label}] queries per request: " + ", ".join(f"{k} {v['queries_max']}" for k, v in queries.items())
            )
    started, load_before = time.strftime("%Y-%m-%d %H:%M:%S"), load_average()
    try:
        for t in targets:
            t.start(keep_max_requests)
            t.prepare(wanted)
        if warmup:
            for t in targets:
                for key in t.plans:
                    run_wrk(t.base, t.plans[key], warmup, connections, threads)
        # The floor (duration/2 per run) is measured between the pages, and every page is compared
        # with the mean of the floor runs just before and after it: on a shared machine the load
        # drifts, and a paired ratio is much steadier than one floor figure for the whole run.
        # With two databases, each page runs on both back to back (alternating which goes first),
        # so small and large meet the same machine load.
        floor_seconds = max(duration // 2, 2)
        has_floor = "floor" in targets[0].plans
        floor_runs: list[dict] = []
        if has_floor:
            floor_runs.append(targets[0].measure("floor", floor_seconds, connections, threads))
        for index, key in enumerate(k for k in targets[0].plans if k != "floor"):
            order = targets if index % 2 == 0 else targets[::-1]
            for t in order:
                results[t.label]["wrk"][key] = t.measure(key, duration, connections, threads)
            if has_floor:
                floor_target = targets[(index + 1) % len(targets)]
                floor_runs.append(floor_target.measure("floor", floor_seconds, connections, threads))
                for t in targets:
                    results[t.label]["wrk"][key]["floor_rps"] = (floor_runs[-2]["rps"] + floor_runs[-1]["rps"]) / 2
    finally:
        for t in targets:
            t.finish(results[t.label])
    RESULTS.mkdir(exist_ok=True)
    for t in targets:
        result = results[t.label]
        summarise_floor(result, floor_runs)
        result.update(started=started, load_before=load_before, load_after=load_average(), code=app_state())
        result["floor_rps"] = result["wrk"].get("floor", {}).get("rps") or 1
        (RESULTS / f"{t.label}.json").write_text(json.dumps(result, indent=2))
        peak = max((v.get("VmHWM", 0) for k, v in result.get("rss_kb", {}).items() if k != "master"), default=0)
        click.echo(
            f"\n### {t.label}: gunicorn {workers} sync workers, wrk -t{threads} -c{connections} -d{duration}s, "
            f"load average before {result['load_before']}, after {result['load_after']}\n"
        )
        if "floor" in result["wrk"]:
            click.echo(table(result))
        master = result.get("rss_kb", {}).get("master", {}).get("VmHWM", 0)
        click.echo(f"\nPeak RSS per web worker: {peak / 1024:.0f} MB (VmHWM; master {master / 1024:.0f} MB)")


if __name__ == "__main__":
    sys.exit(main())
