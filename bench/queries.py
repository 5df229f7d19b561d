#!/usr/bin/env python3
"""The SQL each benchmarked page runs, for one contact (no server; the real app in process).

    python bench/queries.py [--database-url URL] [--full]

Prints, per page, the statements in order with their time; bench/loadtest.py reports the
counts for many contacts. Use it to see what a change to a page does to its queries.
"""

from __future__ import annotations

import time

import click
from common import make_app, read_last
from loadtest import PAGES, pick_contacts


@click.command()
@click.option("--database-url", default=None, help="default: the one in bench/.last-size")
@click.option("--full", is_flag=True, help="print whole statements (default: first 160 characters)")
def main(database_url: str | None, full: bool) -> None:
    from sqlalchemy import event

    from core.extensions import db

    url = database_url or read_last().get("database_url")
    app = make_app(url)
    contact = pick_contacts(app, 1)[0]
    with app.app_context():
        engine = db.engine
    log: list[tuple[str, float]] = []
    started: list[float] = []

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, params, context, executemany):
        started.append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, params, context, executemany):
        log.append((" ".join(statement.split()), time.perf_counter() - started.pop()))

    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "portal-bench"
    with client.session_transaction() as sess:
        sess["_user_id"] = f"contact:{contact['id']}:{contact['token']}"
        sess["_fresh"] = True
    for _key, label, template in PAGES[1:]:
        path = template.format(**contact)
        client.get(path)  # warm caches (compiled statements, templates)
        log.clear()
        response = client.get(path)
        click.echo(f"\n## {label}: GET {path} -> {response.status_code}, {len(log)} statements")
        for statement, seconds in log:
            text = statement if full else statement[:160] + ("..." if len(statement) > 160 else "")
            click.echo(f"  {1000 * seconds:6.2f} ms  {text}")


if __name__ == "__main__":
    main()
