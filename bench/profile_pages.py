#!/usr/bin/env python3
"""In-process timing (and optional profile) of the customer-area pages against a bench database.

    python bench/profile_pages.py [--database-url URL] [--pages invoices,invoice] [--repeat 200]
        [--profile invoices] [--language de]

Median ms per request per page through the Flask test client (no server), logged-in contacts as
in loadtest.py; ``--profile PAGE`` prints a pyinstrument (or cProfile) profile of that page.
"""

from __future__ import annotations

import os
import time

import click
from common import make_app, read_last
from loadtest import PAGES, pick_contacts

SORT = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime


@click.command()
@click.option("--database-url", default=None)
@click.option("--pages", default="floor,floor_session,dashboard,invoices,invoice,invoice_pdf,project")
@click.option("--repeat", default=100, type=int)
@click.option("--contacts", default=5, type=int)
@click.option("--profile", "profile_page", default=None)
@click.option("--language", default=None, help="set every contact's session language (e.g. de)")
def main(database_url, pages, repeat, contacts, profile_page, language):
    url = database_url or read_last().get("database_url") or "sqlite:///bench/.data/large.sqlite3"
    app = make_app(url, MAIL_FLUSH_AFTER_REQUEST=False)
    people = pick_contacts(app, contacts)
    wanted = pages.split(",")
    clients = []
    for contact in people:
        client = app.test_client()
        client.environ_base["HTTP_USER_AGENT"] = "portal-bench"
        with client.session_transaction() as sess:
            sess["_user_id"] = f"contact:{contact['id']}:{contact['token']}"
            sess["_fresh"] = True
        clients.append((client, contact))
    for key, _label, template in PAGES:
        if key not in wanted:
            continue
        times = []
        for i in range(repeat):
            client, contact = clients[i % len(clients)]
            t0 = time.perf_counter()
            r = client.get(template.format(**contact))
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200, (key, r.status_code)
        times.sort()
        print(f"{key:15s} median {1000 * times[len(times) // 2]:6.2f} ms  p10 {1000 * times[len(times) // 10]:6.2f}")
    if profile_page:
        template = dict((k, t) for k, _l, t in PAGES)[profile_page]
        try:
            from pyinstrument import Profiler
        except ImportError:
            Profiler = None
        if Profiler:
            profiler = Profiler(interval=0.0002)
            profiler.start()
        else:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        for i in range(repeat):
            client, contact = clients[i % len(clients)]
            client.get(template.format(**contact))
        if Profiler:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", SORT)).print_stats(45)


if __name__ == "__main__":
    main()
