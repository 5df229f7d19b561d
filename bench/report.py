#!/usr/bin/env python3
"""Markdown tables from bench/results/*.json (written by loadtest.py and mailbench.py).

    python bench/report.py [LABEL ...]

Without labels: every result file. Prints one table per load-test run, a small-vs-large table
per database (queries, p95 ratio, share of the floor) and the mail runs, with the targets.
"""

from __future__ import annotations

import json

import click
from common import RESULTS
from loadtest import PAGES, PORTAL_PAGES, table

P95_RATIO_TARGET = 1.5
FLOOR_SHARE_TARGET = 0.15
MAIL_RATIO_TARGET = 0.5


def load(labels: tuple[str, ...]) -> list[dict]:
    files = [RESULTS / f"{label}.json" for label in labels] if labels else sorted(RESULTS.glob("*.json"))
    return [json.loads(f.read_text()) for f in files]


def share(run: dict, key: str) -> float:
    w = run["wrk"][key]
    return w["rps"] / (w.get("floor_rps") or run["floor_rps"])


def peak_worker_mb(run: dict) -> float:
    return max((v.get("VmHWM", 0) for k, v in run.get("rss_kb", {}).items() if k != "master"), default=0) / 1024


def web(run: dict) -> None:
    tweaks = f", what-if tweaks: {', '.join(run['tweaks'])}" if run.get("tweaks") else ""
    click.echo(
        f"\n#### {run['label']}: {run['size']} on {run['database']}{tweaks} "
        f"({run['started']}; code {run.get('code', '?')})\n"
        f"gunicorn {run['workers']} sync workers, wrk -t{run['threads']} -c{run['connections']} -d{run['duration']}s, "
        f"{run['contacts']} contacts; load average {run['load_before']} before, {run['load_after']} after; "
        f"floor runs {run.get('floor_runs')} req/s; peak RSS per worker {peak_worker_mb(run):.0f} MB\n"
    )
    if set(run["wrk"]) >= {k for k, _, _ in PAGES}:
        click.echo(table(run))


def scaling(runs: list[dict]) -> None:
    by = {(r["database"], r["size"], tuple(r.get("tweaks", ()))): r for r in runs if "wrk" in r}
    for (database, size, tweaks), large in sorted(by.items()):
        small = by.get((database, "small", tweaks))
        if size != "large" or small is None:
            continue
        suffix = f" with {', '.join(tweaks)}" if tweaks else ""
        click.echo(f"\n#### {database}{suffix}: small ({small['label']}) vs large ({large['label']})\n")
        click.echo(
            "| page | queries small / large | p95 small ms | p95 large ms | p95 large/small | "
            "% of floor small | % of floor large | targets |\n|---|---|---:|---:|---:|---:|---:|---|"
        )
        for key, label, _ in PAGES[1:]:
            qs, ql = small["queries"].get(key, {}), large["queries"].get(key, {})
            ps, pl = small["wrk"][key]["p95"] / 1000, large["wrk"][key]["p95"] / 1000
            ss, sl = share(small, key), share(large, key)
            marks = []
            if key in PORTAL_PAGES:
                constant = qs.get("queries_max") == ql.get("queries_max") and ql.get("queries_min") == ql.get(
                    "queries_max"
                )
                marks.append("queries const" + (" ok" if constant else " NO"))
                marks.append("p95 " + ("ok" if pl <= P95_RATIO_TARGET * ps else "NO"))
                marks.append("floor share " + ("ok" if min(ss, sl) >= FLOOR_SHARE_TARGET else "NO"))
            click.echo(
                f"| {label} | {qs.get('queries_max')} / {ql.get('queries_max')} | {ps:.1f} | {pl:.1f} | "
                f"{pl / ps:.2f} | {100 * ss:.1f}% | {100 * sl:.1f}% | {', '.join(marks)} |"
            )


def mail(runs: list[dict]) -> None:
    mails = [r for r in runs if "dispatch" in r]
    if not mails:
        return
    click.echo(
        "\n| run | reminders rows/s (peak RSS) | dispatcher emails/s (peak RSS) | bare smtplib emails/s | "
        "dispatcher / limit | load before / after |\n|---|---:|---:|---:|---:|---|"
    )
    for r in mails:
        rem = r.get("reminders")
        rem_txt = f"{rem['rows_per_s']:.0f} over {rem['rows']:,} ({rem['maxrss_mb']:.0f} MB)" if rem else "-"
        d = r["dispatch"]
        bare = " / ".join(f"{b['emails_per_s']:.0f}" for b in r["bare"])
        ok = "ok" if r["ratio"] >= MAIL_RATIO_TARGET else "NO"
        click.echo(
            f"| {r['label']} ({r['database']}) | {rem_txt} | {d['emails_per_s']:.0f} over {d['sent']:,} "
            f"({d['maxrss_mb']:.0f} MB) | {bare} | {100 * r['ratio']:.0f}% {ok} | "
            f"{r['load_before']} / {r['load_after']} |"
        )


@click.command()
@click.argument("labels", nargs=-1)
def main(labels: tuple[str, ...]) -> None:
    runs = load(labels)
    for run in runs:
        if "wrk" in run:
            web(run)
    scaling(runs)
    mail(runs)


if __name__ == "__main__":
    main()
