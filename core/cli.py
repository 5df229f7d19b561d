"""Command-line commands registered on the app (``flask create-admin``, ``flask seed-demo``)."""

from __future__ import annotations

import click
from flask import Flask

from core.services import ServiceError


def register_cli(app: Flask) -> None:
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
