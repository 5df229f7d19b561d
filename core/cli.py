"""Command-line commands registered on the app (``flask create-admin``, ``flask seed-demo``).

Long-running commands show a progress bar on a terminal (and plain lines when the output is
piped or logged), then one summary line. Command-line output is for operators: English.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import click
from flask import Flask
from flask_babel import force_locale

from core.logs import job
from core.services import ServiceError


def _is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def _steps(heading: str, length: int) -> Iterator[Callable[[str], None]]:
    """A ``progress(message)`` callback: a bar on a terminal, otherwise one line per step."""
    if not _is_terminal():
        yield click.echo
        return
    with click.progressbar(length=length, label=heading, show_pos=True, item_show_func=lambda item: item) as bar:
        yield lambda message: bar.update(1, message)


def _seconds(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def register_cli(app: Flask) -> None:
    register_mail_cli(app)
    register_reminders_cli(app)

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create a staff administrator."""
        from core.services.accounts import create_staff

        try:
            with force_locale("en"):  # service messages in English, as all command-line output
                staff = create_staff(email, name, password)
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created administrator {staff.email}.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo data (idempotent: a second run changes nothing)."""
        from core.demo import DEMO_LOGINS, DEMO_STEPS, load_demo

        started = time.perf_counter()
        with _steps("Loading demo data", DEMO_STEPS) as progress, force_locale("en"):
            created = load_demo(progress=progress)
        if created:
            click.echo(f"Demo data loaded: {_demo_counts()} in {_seconds(started)}.")
        else:
            click.echo("Demo data already present; nothing changed.")
        click.echo(f"\nDemo logins (password for all: {DEMO_LOGINS['password']})")
        for area, email, what in DEMO_LOGINS["accounts"]:
            click.echo(f"  {area:<8} {email:<32} {what}")


def _demo_counts() -> str:
    """``3 customers, 9 contacts, ...``: what the database now holds."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import Contact, Contract, CreditNote, Customer, Estimate, Invoice, Project, Proposal, Ticket

    counted = (
        ("customers", Customer),
        ("contacts", Contact),
        ("invoices", Invoice),
        ("credit notes", CreditNote),
        ("estimates", Estimate),
        ("proposals", Proposal),
        ("contracts", Contract),
        ("projects", Project),
        ("tickets", Ticket),
    )
    return ", ".join(f"{db.session.scalar(select(func.count()).select_from(model))} {name}" for name, model in counted)


def register_mail_cli(app: Flask) -> None:
    @app.cli.command("mail-dispatch")
    @click.option("--loop", is_flag=True, help="Keep running, polling the outbox.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between polls in --loop mode.")
    @click.option("--batch-size", default=None, type=int, help="Rows per batch (default MAIL_BATCH_SIZE).")
    def mail_dispatch(loop: bool, interval: float, batch_size: int | None) -> None:
        """Deliver queued emails over SMTP once, or continuously with --loop.

        Once: a progress bar over the emails due, then a summary. With --loop: one line per
        batch that handled emails, and the totals when stopped (Ctrl-C); a database or mail
        server outage is logged and waited out, never ends the loop.
        """
        from core.mail.dispatch import DispatchResult, dispatch_all, due_count, run_forever
        from core.webhooks.dispatch import deliver_all

        _log_to_stderr()
        started = time.perf_counter()
        if not loop:
            due = due_count()
            if due and _is_terminal():
                heading = "Sending emails"  # command-line output: English
                with click.progressbar(length=due, label=heading, show_pos=True) as bar:
                    total = dispatch_all(batch_size, lambda batch: bar.update(batch.handled))
            else:
                total = dispatch_all(batch_size)
            click.echo(f"{_counts(total)} ({total.handled} handled in {_seconds(started)})" + _first_error(total))
            click.echo(f"Webhooks: {_webhook_counts(deliver_all())}")
            return
        grand = DispatchResult()

        def report(batch: DispatchResult) -> None:
            grand.add(batch)
            _echo_batch(batch)

        try:
            with job("mail-dispatch"):  # every log line of this dispatcher run carries one id
                run_forever(interval, batch_size, report, also=lambda: deliver_all(report=_echo_webhooks))
        except KeyboardInterrupt:
            click.echo(f"Stopped. In total: {_counts(grand)} ({grand.handled} handled in {_seconds(started)})")

    @app.cli.command("webhook-dispatch")
    @click.option("--loop", is_flag=True, help="Keep running, polling the webhook deliveries.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between polls in --loop mode.")
    def webhook_dispatch(loop: bool, interval: float) -> None:
        """Deliver queued webhooks once, or continuously with --loop (``mail-dispatch`` delivers
        them too; this command is for a dispatcher of webhooks only)."""
        from core.webhooks.dispatch import deliver_all, run_forever

        _log_to_stderr()
        if not loop:
            click.echo(f"Webhooks: {_webhook_counts(deliver_all())}")
            return
        try:
            with job("webhook-dispatch"):
                run_forever(interval, _echo_webhooks)
        except KeyboardInterrupt:
            click.echo("Stopped.")

    @app.cli.command("mail-resend")
    @click.option("--id", "ids", multiple=True, type=int, help="An email's id (repeatable).")
    @click.option("--customer-id", type=int, default=None, help="Failed emails of this customer.")
    @click.option("--contact-id", type=int, default=None, help="Failed emails of this contact.")
    @click.option("--all", "all_failed", is_flag=True, help="Every failed email.")
    def mail_resend(ids: tuple[int, ...], customer_id: int | None, contact_id: int | None, all_failed: bool) -> None:
        """Queue failed emails again (fresh attempts, same Message-ID); audited."""
        from core.mail.resend import ResendFilter, resend_failed

        chosen = ResendFilter(ids=list(ids), customer_id=customer_id, contact_id=contact_id)
        if not (all_failed or chosen.narrows):
            raise click.UsageError("Say which failed emails: --id, --customer-id, --contact-id or --all.")
        if all_failed and chosen.narrows:
            raise click.UsageError("--all cannot be combined with --id, --customer-id or --contact-id.")
        count = resend_failed(chosen, actor=None, via="command line")
        click.echo(f"Queued {count} failed email(s) again; the dispatcher sends them.")


def _log_to_stderr() -> None:
    """The dispatcher's warnings (outages, reconnects) on stderr, with a time, for the logs."""
    import logging

    from core import logs

    for name in ("core.mail", "core.webhooks"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        # The app's structured handler (outside tests) already writes these lines, with the run's
        # id (core.logs.job): a second handler would print each of them twice.
        if not logger.handlers and not logs.is_configured():
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(name)s: %(message)s"))
            logger.addHandler(handler)


def _counts(result) -> str:
    counts = f"sent {result.sent}, failed {result.failed}, retried later {result.retried}, stored only {result.logged}"
    return counts + (f", put back {result.released}" if result.released else "")


def _first_error(result) -> str:
    return f"; errors: {result.errors[0]}" if result.errors else ""


def _webhook_counts(result) -> str:
    counts = f"delivered {result.delivered}, retried later {result.retried}, failed {result.failed}"
    return counts + (f", put back {result.released}" if result.released else "")


def _echo_webhooks(batch) -> None:
    if batch.handled or batch.released:
        click.echo(f"[{datetime.now():%H:%M:%S}] webhooks: {_webhook_counts(batch)}")


def _echo_batch(batch) -> None:
    if batch.handled or batch.released:
        click.echo(f"[{datetime.now():%H:%M:%S}] batch: {_counts(batch)}{_first_error(batch)}")


def register_reminders_cli(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Run as of this day.")
    @click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=600,
        show_default=True,
        help="Seconds to wait for another active run to finish (0: stop at once).",
    )
    def send_reminders_command(today, wait) -> None:
        """Queue today's overdue, due-soon and expiry reminders (run daily from cron).

        One run at a time: a second one (another cron host, an overlapping deploy) waits for
        the active run up to --wait seconds, then exits with status 1 naming it.
        """
        from datetime import date

        from core.joblock import JobBusy, exclusive
        from core.services.reminders import RUN_LOCK, count_due, send_reminders

        def waiting(holder: str) -> None:
            click.echo(f"Another send-reminders run is active ({holder}); waiting up to {wait:g} s")

        day = today.date() if today else date.today()
        try:
            with job("send-reminders"), exclusive(RUN_LOCK, wait=wait, on_wait=waiting):
                total = count_due(day)
                heading = f"Reminders for {day}"
                with click.progressbar(length=total, label=heading, show_pos=True) as bar:
                    summary = send_reminders(day, progress=bar.update)
        except JobBusy as exc:
            raise click.ClickException(str(exc)) from exc
        if not summary.checked:
            click.echo("Nothing to remind today.")
        for event, checked in summary.checked.items():
            click.echo(f"{event}: {checked} document(s), {summary.emails[event]} email(s) queued")
        if summary.checked:
            click.echo(
                f"Total: {sum(summary.checked.values())} document(s), {sum(summary.emails.values())} email(s) queued"
            )
        if app.config["MAIL_FLUSH_AFTER_REQUEST"]:
            from core.mail.dispatch import dispatch_all

            result = dispatch_all()
            click.echo(f"Delivered: sent {result.sent}, stored only {result.logged}, retry later {result.retried}")
        # Daily housekeeping: one-time form keys older than a month can no longer be reposted.
        from core import submissions
        from core.extensions import db

        pruned = submissions.prune()
        db.session.commit()
        click.echo(f"Pruned {pruned} old form key(s)")
