#!/usr/bin/env python3
"""Sample a gunicorn worker with py-spy while wrk loads one page, and summarise where it spends.

    .venv/bin/pip install py-spy   # not in the requirements: only this script uses it
    python bench/spy_page.py --database-url URL --page invoices [--seconds 10] [--top 40]

Unlike cProfile in one process (``profile_pages.py``), this measures the production path under
load (gunicorn, the real WSGI stack, the database next to it) with little overhead. Prints the
share of samples per part of the request (the contact's query, the page's queries, the template,
the rest) and the functions with the most samples of their own; the raw folded stacks stay in
``bench/results/spy-<page>.txt`` for a flame graph.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import time
from pathlib import Path

import click
import loadtest as lt
from common import RESULTS, ROOT, make_app

# Parts of a request, by a frame its stack contains (first match wins).
PARTS = (
    ("contact (login query)", "load_user"),
    ("invoice overview", "invoice_overview"),
    ("page query", "paginate"),
    ("template", "render_template"),
    ("other view code", "dispatch_request"),
)


def summarise(folded: Path, top: int) -> None:
    parts: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        own[stack.rsplit(";", 1)[-1]] += samples
        part = next((name for name, frame in PARTS if frame in stack), "framework and server")
        parts[part] += samples
    click.echo(f"{total} samples")
    for name, samples in parts.most_common():
        click.echo(f"  {100 * samples / total:5.1f} %  {name}")
    click.echo("own samples:")
    for frame, samples in own.most_common(top):
        click.echo(f"  {100 * samples / total:5.1f} %  {frame[:140]}")


@click.command()
@click.option("--database-url", required=True)
@click.option("--page", default="invoices", type=click.Choice([key for key, _l, _t in lt.PAGES]))
@click.option("--seconds", default=10, type=int)
@click.option("--top", default=30, type=int)
def main(database_url, page, seconds, top):
    spy = shutil.which("py-spy") or str(ROOT / ".venv/bin/py-spy")
    if not Path(spy).exists():
        raise click.ClickException("py-spy is not installed: .venv/bin/pip install py-spy")
    app = make_app(database_url, MAIL_FLUSH_AFTER_REQUEST=False)
    people = lt.pick_contacts(app, 8)
    port = lt.free_port()
    RESULTS.mkdir(exist_ok=True)
    proc = lt.start_gunicorn(database_url, port, 2, False, RESULTS / f"spy-{page}-gunicorn.log")
    base = f"http://127.0.0.1:{port}"
    try:
        lt.wait_ready(base, proc)
        template = dict((key, path) for key, _l, path in lt.PAGES)[page]
        requests_file = RESULTS / f"spy-{page}-requests.txt"
        lines = [f"{template.format(**c)}\t{lt.login(base, c['email'])}" for c in people]
        requests_file.write_text("\n".join(lines) + "\n")
        worker = lt.children(proc.pid)[0]
        script = ROOT / "bench/wrk_requests.lua"
        cmd = ["wrk", "-t2", "-c8", f"-d{seconds + 3}s", "-s", str(script), base, "--", str(requests_file)]
        wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)  # noqa: S603
        time.sleep(1.5)  # past the first requests
        folded = RESULTS / f"spy-{page}.txt"
        subprocess.run(  # noqa: S603
            [spy, "record", "-r", "400", "-d", str(seconds), "-f", "raw", "-o", str(folded), "--nonblocking"]
            + ["-p", str(worker)],
            check=True,
            capture_output=True,
        )
        out = wrk.communicate()[0]
        click.echo(next((line.strip() for line in out.splitlines() if "Requests/sec" in line), ""))
        summarise(folded, top)
    finally:
        lt.stop(proc)


if __name__ == "__main__":
    main()
