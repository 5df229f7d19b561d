#!/usr/bin/env python3
"""Mail fan-out: the reminders command, the dispatcher, and a bare smtplib loop (the limit).

    python bench/mailbench.py [--database-url URL] [--invoices 100000] [--dispatch 20000]

1. A fresh database from bench/generate.py's "mail" shape: one contact per customer (every
   permission and toggle, so each overdue invoice gives one email), 100 invoices per customer,
   all unpaid and past due (--invoices / 100 customers).
2. ``core.services.reminders.send_reminders(today)`` over all of them: rows/s (invoices
   checked) and emails queued/s.
3. An aiosmtpd sink on 127.0.0.1 in its own process, accepting and discarding every message.
   The first --dispatch queued rows stay due, the rest are pushed a year ahead.
4. In the same run: the bare smtplib loop (one connection, ``sendmail`` of pre-built messages:
   the dispatcher's own bytes for the same outbox rows), then
   ``core.mail.dispatch.dispatch_all()`` with MAIL_SERVER pointed at the sink, then the bare
   loop again; emails/s and the ratio to the mean of the two bare loops.

Each step runs in its own process (``--phase``), so its peak RSS (``ru_maxrss``) is its own.
``--skip-generate --reset`` reruns steps 3-4 on the same rows (every queued row due again);
``--commit-every N`` sets the dispatcher's MAIL_COMMIT_EVERY; ``--reminders-only`` stops after
step 2; ``--force`` lets the generator recreate a database not named portal_bench*.

``--defer N``: the sink answers ``451`` to N of the recipients (spread evenly), and the
dispatcher drains as ``flask mail-dispatch --loop`` does (rounds, the 5 s poll between them)
until nothing is due; the bare loops are skipped. Before deferrals waited alone, 10 of 2,000
took the drain from 9 s to 82 s.
"""

from __future__ import annotations

import json
import resource
import signal
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

import click
from common import (
    BENCH,
    RESULTS,
    ROOT,
    app_state,
    db_label,
    default_url,
    load_average,
    make_app,
    sqlalchemy_url,
    wait_for_idle,
)

PY = sys.executable


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def emit(data: dict) -> None:
    data["maxrss_mb"] = round(maxrss_mb(), 1)
    print("BENCH_JSON " + json.dumps(data), flush=True)


def mail_app(url: str, port: int | None = None):
    cfg = {"MAIL_FLUSH_AFTER_REQUEST": False}
    if port:
        cfg.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    return make_app(url, **cfg)


# --------------------------------------------------------------------------------------------
# what-if tweaks: monkeypatches applied in the benchmark process only, to measure a proposed
# app change before anyone makes it (see the README). Never used by default.

# (Earlier tweaks "claim-by-id", "batch-commit", "no-expire" and "compat32" measured what
# core/mail/dispatch/ now does: rows read back by primary key, sent rows marked in groups
# (MAIL_COMMIT_EVERY, see --commit-every), no reload after each commit, and a faster MIME
# writer than the email package's.)
# ("cache-recipients" measured what core/services/reminders.py now does: recipients read once
# per batch of invoices, not per invoice.)
TWEAKS = ("async-commit", "due-index")


def apply_tweaks(tweaks: list[str]) -> None:
    from sqlalchemy import text

    from core.extensions import db

    # due-index: a partial index over the rows still to send (PostgreSQL and SQLite), to see
    # whether claiming a batch would gain from it. Created in the benchmark database only;
    # dropped again when the tweak is not asked for.
    if "due-index" in tweaks:
        db.session.execute(
            text(
                "CREATE INDEX IF NOT EXISTS bench_ix_outbox_due ON email_outbox (next_attempt_at, id)"
                " WHERE status IN ('pending', 'sending')"
            )
        )
        db.session.execute(text("ANALYZE email_outbox"))
    else:
        db.session.execute(text("DROP INDEX IF EXISTS bench_ix_outbox_due"))
    db.session.commit()
    if "async-commit" in tweaks:
        # PostgreSQL only: a COMMIT no longer waits for its WAL flush (per connection).
        from sqlalchemy import event

        @event.listens_for(db.engine, "connect")
        def _async_commit(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("SET synchronous_commit TO off")
            cursor.close()
            dbapi_connection.commit()

        db.engine.dispose()


# --------------------------------------------------------------------------------------------
# phases (each in its own process)


def phase_reminders(url: str, tweaks: list[str]) -> None:
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import OutboxEmail
    from core.services.reminders import count_due, send_reminders

    app = mail_app(url)
    with app.app_context():
        apply_tweaks(tweaks)
        today = date.today()
        due = count_due(today)
        t0 = time.perf_counter()
        summary = send_reminders(today)
        seconds = time.perf_counter() - t0
        rows = sum(summary.checked.values())
        emails = sum(summary.emails.values())
        queued = db.session.scalar(select(func.count(OutboxEmail.id)))
        emit(
            dict(
                due=due,
                rows=rows,
                emails=emails,
                queued=queued,
                seconds=seconds,
                rows_per_s=rows / seconds,
                emails_per_s=emails / seconds,
            )
        )


def phase_sink(port: int, defer: int, defer_every: int) -> None:
    from aiosmtpd.controller import Controller

    class Discard:
        count = 0
        size = 0
        rcpts = 0
        deferred = 0

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            Discard.rcpts += 1
            if Discard.deferred < defer and Discard.rcpts % defer_every == 0:
                Discard.deferred += 1
                return "451 4.3.0 Try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            Discard.count += 1
            Discard.size += len(envelope.content or b"")
            return "250 Message accepted"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    print("READY", flush=True)

    def finish(*_):
        controller.stop()
        emit(dict(received=Discard.count, bytes=Discard.size, deferred=Discard.deferred))
        sys.exit(0)

    signal.signal(signal.SIGTERM, finish)
    while True:
        time.sleep(1)


def phase_dispatch(
    url: str, port: int, batch: int | None, tweaks: list[str], commit_every: int | None, drain: bool = False
) -> None:
    try:
        from core.mail.dispatch import rounds as dispatcher  # dispatch_once looks ``claim`` up there
    except ImportError:  # an earlier version, for A/B runs
        import core.mail.dispatcher as dispatcher

    app = mail_app(url, port)
    if commit_every:
        app.config["MAIL_COMMIT_EVERY"] = commit_every
    with app.app_context():
        apply_tweaks(tweaks)
        # Time spent claiming batches (the SELECT ... FOR UPDATE SKIP LOCKED, UPDATE, re-SELECT).
        claim = {"seconds": 0.0, "batches": 0}
        name = next(n for n in ("claim", "_claim", "claim_batch") if hasattr(dispatcher, n))
        original_claim = getattr(dispatcher, name)

        def timed_claim(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original_claim(*args, **kwargs)
            finally:
                claim["seconds"] += time.perf_counter() - t
                claim["batches"] += 1

        setattr(dispatcher, name, timed_claim)
        t0 = time.perf_counter()
        result = dispatcher.dispatch_all(batch)
        rounds = 1
        while drain and _due_now(dispatcher):  # as the --loop does: poll again after 5 s
            time.sleep(5)
            more = dispatcher.dispatch_all(batch)
            for name in ("sent", "failed", "retried", "logged"):
                setattr(result, name, getattr(result, name) + getattr(more, name))
            rounds += 1
        seconds = time.perf_counter() - t0
        emit(
            dict(
                sent=result.sent,
                failed=result.failed,
                retried=result.retried,
                errors=result.errors[:3],
                seconds=seconds,
                claim_seconds=claim["seconds"],
                batches=claim["batches"],
                emails_per_s=result.sent / seconds if seconds else 0.0,
                batch=batch or app.config["MAIL_BATCH_SIZE"],
                commit_every=app.config.get("MAIL_COMMIT_EVERY", 1),
                rounds=rounds,
            )
        )


def _due_now(dispatcher) -> int:
    """Rows due now, by the dispatcher's own rule (works on earlier versions too, for A/B runs)."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import OutboxEmail, utcnow

    try:
        from core.mail.dispatch.claims import due
    except ImportError:  # an earlier version, for A/B runs
        due = dispatcher._due
    return db.session.scalar(select(func.count()).select_from(OutboxEmail).where(due(utcnow())))


def phase_bare(url: str, port: int, count: int) -> None:
    """One SMTP connection, ``sendmail`` in a loop: messages pre-built from real outbox rows."""
    import smtplib

    from sqlalchemy import select

    from core.extensions import db
    from core.mail.message import message_bytes
    from core.models import OutboxEmail

    app = mail_app(url, port)
    with app.app_context():
        rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id).limit(500)).all()
        messages = []
        for email in rows:
            sender, data = message_bytes(email)  # the very bytes the dispatcher sends
            messages.append((sender, [email.to_address, *email.cc_list], data))
    size = sum(len(m[2]) for m in messages) / len(messages)
    host = smtplib.SMTP("127.0.0.1", port, timeout=10)
    t0 = time.perf_counter()
    for i in range(count):
        sender, recipients, data = messages[i % len(messages)]
        host.sendmail(sender, recipients, data)
    seconds = time.perf_counter() - t0
    host.quit()
    emit(dict(sent=count, seconds=seconds, emails_per_s=count / seconds, avg_message_bytes=round(size)))


# --------------------------------------------------------------------------------------------
# orchestration


def run_phase(*args: str) -> dict:
    out = subprocess.run([PY, __file__, *args], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    if out.returncode != 0:
        raise click.ClickException(f"phase {args[:2]} failed:\n{out.stderr[-3000:]}")
    line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON "))
    return json.loads(line[len("BENCH_JSON ") :])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sink(port: int, defer: int = 0, defer_every: int = 1) -> subprocess.Popen:
    proc = subprocess.Popen(  # noqa: S603 (this script, fixed arguments)
        [
            PY,
            __file__,
            "--phase",
            "sink",
            "--port",
            str(port),
            "--defer",
            str(defer),
            "--defer-every",
            str(defer_every),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout.readline().strip() == "READY"
    return proc


def stop_sink(proc: subprocess.Popen) -> dict:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    line = next((line for line in out.splitlines() if line.startswith("BENCH_JSON ")), None)
    return json.loads(line[len("BENCH_JSON ") :]) if line else {}


def reset_outbox(url: str) -> None:
    """Every queued row pending and due again (to rerun the dispatcher on the same rows)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "UPDATE email_outbox SET status = 'pending', attempts = 0, claimed_at = NULL, claim_token = NULL,"
                " sent_at = NULL, next_attempt_at = :due"
            ),
            {"due": datetime(2000, 1, 1)},
        )
        conn.execute(text("VACUUM FULL email_outbox" if url.startswith("postgres") else "VACUUM"))
    engine.dispose()


def limit_due(url: str, keep: int) -> int:
    """Leave the first ``keep`` pending rows due; push the others a year ahead."""
    from sqlalchemy import func, select, update

    from core.extensions import db
    from core.models import OutboxEmail, utcnow

    app = mail_app(url)
    with app.app_context():
        ids = select(OutboxEmail.id).where(OutboxEmail.status == "pending").order_by(OutboxEmail.id)
        cutoff = db.session.scalar(ids.offset(keep).limit(1))
        due_now = update(OutboxEmail).where(OutboxEmail.status == "pending")
        if cutoff is not None:
            due_now = due_now.where(OutboxEmail.id < cutoff)
        db.session.execute(due_now.values(next_attempt_at=utcnow() - timedelta(minutes=1)))
        if cutoff is not None:
            db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id >= cutoff)
                .values(next_attempt_at=utcnow() + timedelta(days=365))
            )
        db.session.commit()
        due = db.session.scalar(
            select(func.count()).where(
                OutboxEmail.status == "pending", OutboxEmail.id < (cutoff if cutoff is not None else 2**31 - 1)
            )
        )
        db.engine.dispose()
    if url.startswith("postgres"):
        # Start from a vacuumed table, as autovacuum would leave it: the updates above (and any
        # earlier run) leave dead index entries that the claim query's bitmap scan must visit.
        from sqlalchemy import create_engine, text

        engine = create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE email_outbox"))
        engine.dispose()
    return due


@click.command()
@click.option("--database-url", default=None, help="default bench/.data/mail.sqlite3")
@click.option("--invoices", default=100_000, show_default=True, help="overdue invoices (100 per customer)")
@click.option("--dispatch", "dispatch_count", default=20_000, show_default=True, help="emails the dispatcher sends")
@click.option("--batch", default=None, type=int, help="dispatcher batch size (default MAIL_BATCH_SIZE)")
@click.option("--commit-every", default=None, type=int, help="dispatcher MAIL_COMMIT_EVERY (default: the app's)")
@click.option("--skip-generate", is_flag=True, help="reuse the database as it is (reminders already queued)")
@click.option("--reset", is_flag=True, help="with --skip-generate: make every queued row due again first")
@click.option("--label", default=None)
@click.option("--force", is_flag=True, help="let bench/generate.py drop a database not named portal_bench*")
@click.option("--reminders-only", is_flag=True, help="stop after the reminders step (no sink, no dispatcher)")
@click.option("--tweak", "tweak_opt", default="", help=f"what-if monkeypatches, comma-separated: {', '.join(TWEAKS)}")
@click.option("--wait-idle", default=0.0, help="first wait (up to 5 min) for a 1-minute load average below this")
@click.option("--defer", default=0, show_default=True, help="the sink answers 451 to this many recipients")
@click.option("--defer-every", default=1, hidden=True)
@click.option("--drain", is_flag=True, hidden=True)
@click.option("--phase", type=click.Choice(["reminders", "sink", "dispatch", "bare"]), default=None, hidden=True)
@click.option("--port", default=0, hidden=True)
@click.option("--count", default=0, hidden=True)
def main(
    database_url,
    invoices,
    dispatch_count,
    batch,
    commit_every,
    skip_generate,
    reset,
    label,
    force,
    reminders_only,
    tweak_opt,
    wait_idle,
    defer,
    defer_every,
    drain,
    phase,
    port,
    count,
):
    url = database_url or default_url("mail")
    tweaks = [t for t in tweak_opt.split(",") if t]
    if set(tweaks) - set(TWEAKS):
        raise click.BadParameter(f"unknown tweak in {tweak_opt!r}; known: {', '.join(TWEAKS)}")
    if phase == "reminders":
        return phase_reminders(url, tweaks)
    if phase == "sink":
        return phase_sink(port, defer, defer_every)
    if phase == "dispatch":
        return phase_dispatch(url, port, batch, tweaks, commit_every, drain)
    if phase == "bare":
        return phase_bare(url, port, count)

    label = label or f"mail-{db_label(url).lower()}" + (f"-{'+'.join(tweaks)}" if tweaks else "")
    # A SIGTERM (e.g. from `timeout`) unwinds like an exception, so the sink is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wait_for_idle(wait_idle)
    tweak_args = ["--tweak", ",".join(tweaks)] if tweaks else []
    result = dict(
        label=label,
        database=db_label(url),
        invoices=invoices,
        tweaks=tweaks,
        load_before=load_average(),
        started=time.strftime("%Y-%m-%d %H:%M:%S"),
        code=app_state(),
    )
    if not skip_generate:
        customers = max(invoices // 100, 1)
        t0 = time.perf_counter()
        out = subprocess.run(  # noqa: S603 (our generator, fixed arguments)
            [PY, str(BENCH / "generate.py"), "--size", "mail", "--customers", str(customers), "--database-url", url]
            + (["--force"] if force else []),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            raise click.ClickException(f"bench/generate.py failed:\n{out.stderr[-3000:]}")
        click.echo(f"[{label}] generated {customers * 100:,} overdue invoices in {time.perf_counter() - t0:.1f} s")
        click.echo(f"reminders over {customers * 100:,} invoices (load {load_average()}) ...")
        result["reminders"] = r = run_phase("--phase", "reminders", "--database-url", url, *tweak_args)
        result["reminders"]["load_after"] = load_average()
        click.echo(
            f"  {r['rows']:,} rows, {r['emails']:,} emails in {r['seconds']:.1f} s: {r['rows_per_s']:.0f} rows/s, "
            f"{r['emails_per_s']:.0f} emails/s, peak RSS {r['maxrss_mb']:.0f} MB"
        )
    if reminders_only:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{label}.json").write_text(json.dumps(result, indent=2))
        return
    if reset:
        reset_outbox(url)
    due = limit_due(url, dispatch_count)
    count = min(due, dispatch_count)
    result["dispatch_rows"] = count
    port = free_port()
    sink = start_sink(port, defer, max(count // defer, 1) if defer else 1)
    try:
        runs = []
        for name in ("dispatch",) if defer else ("bare", "dispatch", "bare"):
            args = ["--phase", name, "--database-url", url, "--port", str(port)]
            if name == "bare":
                args += ["--count", str(count)]
            else:
                args += tweak_args + (["--batch", str(batch)] if batch else [])
                args += ["--commit-every", str(commit_every)] if commit_every else []
                args += ["--drain"] if defer else []
            data = run_phase(*args)
            data["load_after"] = load_average()
            runs.append((name, data))
            click.echo(
                f"  {name:<9} {data.get('sent', 0):,} emails in {data['seconds']:.1f} s: "
                f"{data['emails_per_s']:.0f} emails/s, peak RSS {data['maxrss_mb']:.0f} MB (load {data['load_after']})"
                + (
                    f", claiming {data['claim_seconds']:.1f} s in {data['batches']} batches"
                    if "claim_seconds" in data
                    else ""
                )
            )
    finally:
        sink_stats = stop_sink(sink)
    bare = [d for n, d in runs if n == "bare"]
    result["bare"] = bare
    result["dispatch"] = d = next(d for n, d in runs if n == "dispatch")
    result["sink"] = sink_stats
    if defer:  # a drain past deferrals: no bare loops to compare with
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{label}.json").write_text(json.dumps(result, indent=2))
        click.echo(
            f"\nDrain of {count:,} emails with {sink_stats.get('deferred', '?')} deferred (451): "
            f"{d['sent']:,} sent, {d['retried']} retried later, {d['seconds']:.1f} s in {d['rounds']} round(s) "
            f"({d['emails_per_s']:.0f} emails/s, load {d['load_after']})."
        )
        return
    limit = sum(b["emails_per_s"] for b in bare) / len(bare)
    result["ratio"] = d["emails_per_s"] / limit
    result["load_after"] = load_average()
    expected = d["sent"] + sum(b["sent"] for b in bare)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{label}.json").write_text(json.dumps(result, indent=2))
    click.echo(
        f"\n### {label} ({db_label(url)}), load average before {result['load_before']}, after {result['load_after']}\n"
    )
    click.echo("| step | rows | seconds | rate | peak RSS |\n|---|---:|---:|---:|---:|")
    if "reminders" in result:
        r = result["reminders"]
        click.echo(
            f"| reminders (send_reminders) | {r['rows']:,} invoices, {r['emails']:,} emails | {r['seconds']:.1f} | "
            f"{r['rows_per_s']:.0f} rows/s | {r['maxrss_mb']:.0f} MB |"
        )
    click.echo(
        f"| dispatcher (dispatch_all, batch {d['batch']}, commit every {d.get('commit_every', 1)}) "
        f"| {d['sent']:,} emails | {d['seconds']:.1f} | "
        f"{d['emails_per_s']:.0f} emails/s | {d['maxrss_mb']:.0f} MB |"
    )
    for i, b in enumerate(bare, 1):
        click.echo(
            f"| bare smtplib loop #{i} (limit) | {b['sent']:,} emails | {b['seconds']:.1f} | "
            f"{b['emails_per_s']:.0f} emails/s | {b['maxrss_mb']:.0f} MB |"
        )
    click.echo(
        f"\nDispatcher / limit: {100 * result['ratio']:.0f}% (target >= 50%). Sink received "
        f"{sink_stats.get('received', '?'):,} messages (expected {expected:,}), "
        f"avg {bare[0]['avg_message_bytes']:,} bytes."
    )


if __name__ == "__main__":
    sys.exit(main())
