"""Command-line commands registered on the app (``flask create-admin``, ``flask seed-demo``)."""

from __future__ import annotations

import click
from flask import Flask

from core.services import ServiceError


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
            staff = create_staff(email, name, password)
        except ServiceError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created administrator {staff.email}.")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo data (idempotent: a second run changes nothing)."""
        from core.demo import DEMO_LOGINS, load_demo

        created = load_demo(progress=click.echo)
        click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
        click.echo(f"\nDemo logins (password for all: {DEMO_LOGINS['password']})")
        for area, email, what in DEMO_LOGINS["accounts"]:
            click.echo(f"  {area:<8} {email:<32} {what}")


def register_mail_cli(app: Flask) -> None:
    @app.cli.command("mail-dispatch")
    @click.option("--loop", is_flag=True, help="Keep running, polling the outbox.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between polls in --loop mode.")
    @click.option("--batch-size", default=None, type=int, help="Rows per batch (default MAIL_BATCH_SIZE).")
    def mail_dispatch(loop: bool, interval: float, batch_size: int | None) -> None:
        """Deliver queued emails over SMTP once, or continuously with --loop."""
        import time

        from core.mail.dispatcher import dispatch_all

        while True:
            result = dispatch_all(batch_size)
            if result.handled or not loop:
                click.echo(
                    f"sent {result.sent}, failed {result.failed}, retried later {result.retried}, "
                    f"stored only {result.logged}" + (f"; errors: {result.errors[0]}" if result.errors else "")
                )
            if not loop:
                return
            time.sleep(interval)


def register_reminders_cli(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Run as of this day.")
    def send_reminders_command(today) -> None:
        """Queue today's overdue, due-soon and expiry reminders (run daily from cron)."""
        from datetime import date

        from core.services.reminders import count_due, send_reminders

        day = today.date() if today else date.today()
        total = count_due(day)
        with click.progressbar(length=total, label=f"Reminders for {day}", show_pos=True) as bar:
            summary = send_reminders(day, progress=bar.update)
        if not summary.checked:
            click.echo("Nothing to remind today.")
        for event, checked in summary.checked.items():
            click.echo(f"{event}: {checked} document(s), {summary.emails[event]} email(s) queued")
        if app.config["MAIL_FLUSH_AFTER_REQUEST"]:
            from core.mail.dispatcher import dispatch_all

            result = dispatch_all()
            click.echo(f"Delivered: sent {result.sent}, stored only {result.logged}, retry later {result.retried}")
