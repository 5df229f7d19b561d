#!/usr/bin/env python3
"""Benchmark data: a fresh database made by the real migrations, bulk-loaded with Core inserts.

    python bench/generate.py --size small|large [--database-url URL] [--chunk 5000]

SQLite files go to bench/.data/<size>.sqlite3 by default; for PostgreSQL pass
``--database-url postgresql://postgres@127.0.0.1:5432/portal_bench_large`` (the database is
dropped and created again; only names starting with ``portal_bench`` are touched unless
``--force``). Every contact logs in with the password in bench/common.py (PASSWORD); the
summary and bench/.last-size list some logins.

Rows are produced per customer (contacts, invoices with 1-3 line items and payments, projects
with settings and tasks, tickets, a few estimates/proposals/contracts/credit notes) and
inserted with ``insert(table)`` executemany in chunks; ids are assigned here, so no
RETURNING round trips are needed (PostgreSQL sequences are moved past them afterwards).
"""

from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from common import DATA, LAST_SIZE, PASSWORD, db_label, default_url, load_average, make_app, sqlalchemy_url

SIZES = {
    # per-customer shape is the same at both sizes: only the table sizes differ
    "small": dict(customers=50, contacts=5, invoices=100, projects=10, tasks=10, tickets=25),
    "large": dict(customers=2000, contacts=5, invoices=100, projects=10, tasks=10, tickets=25),
    # mailbench: one contact per customer, every open invoice overdue (see bench/mailbench.py)
    "mail": dict(customers=1000, contacts=1, invoices=100, projects=0, tasks=0, tickets=0, all_overdue=True),
}
CENT = Decimal("0.01")
TAX = (Decimal("19"), Decimal("19"), Decimal("7"), Decimal("0"))
ITEM_NAMES = ("Consulting (hours)", "Materials", "Travel", "Licence", "Support plan", "Installation")
PROJECT_STATUSES = ("not_started", "in_progress", "in_progress", "on_hold", "finished", "cancelled")
TASK_STATUSES = ("not_started", "in_progress", "testing", "awaiting_feedback", "complete")
TICKET_STATUSES = ("open", "in_progress", "answered", "on_hold", "closed", "closed")
PRIORITIES = ("low", "medium", "high", "urgent")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT)


@dataclass
class Ids:
    """Next primary key per table (assigned here, so inserts need no RETURNING)."""

    n: dict

    def __call__(self, table: str) -> int:
        self.n[table] = self.n.get(table, 0) + 1
        return self.n[table]


# --------------------------------------------------------------------------------------------
# fresh database + schema


def fresh_database(url: str, force: bool) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url.startswith("sqlite"):
        path = Path(make_url(url).database).resolve()
        if not force and DATA.resolve() not in path.parents:
            raise click.ClickException(f"refusing to delete {path} (not under {DATA}); pass --force")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    parsed = make_url(sqlalchemy_url(url))
    name = parsed.database
    if not force and not name.startswith("portal_bench"):
        raise click.ClickException(f"refusing to drop database {name!r} (not portal_bench*); pass --force")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


# --------------------------------------------------------------------------------------------
# row generators, one customer at a time


def customer_rows(cust_id: int, shape: dict, ids: Ids, rnd: random.Random, ctx: dict) -> dict[str, list[dict]]:
    today: date = ctx["today"]
    now: datetime = ctx["now"]
    out: dict[str, list[dict]] = {k: [] for k in ctx["tables"]}
    out["customers"].append(
        dict(
            id=cust_id,
            company=f"Bench Customer {cust_id:05d} GmbH",
            vat_number=f"DE{cust_id:09d}",
            phone="+49 30 123456",
            address=f"Hauptstraße {cust_id % 200 + 1}",
            city=rnd.choice(("Berlin", "Munich", "Hamburg", "Cologne")),
            zip_code="10115",
            country="Germany",
            website="",
            currency="EUR",
            active=True,
            version=1,
            created_at=now,
        )
    )
    contact_ids = []
    for n in range(shape["contacts"]):
        cid = ids("contacts")
        contact_ids.append(cid)
        out["contacts"].append(
            dict(
                id=cid,
                customer_id=cust_id,
                first_name=f"First{cid}",
                last_name=f"Last{cid}",
                email=f"c{cid}@bench.example",
                phone="",
                position="Primary" if n == 0 else "Staff",
                password_hash=ctx["password_hash"],
                is_primary=n == 0,
                active=True,
                session_token=secrets.token_hex(16),
                last_login=None,
                totp_secret=None,
                version=1,
                created_at=now,
            )
        )
        out["contact_permissions"].extend(dict(contact_id=cid, permission=p) for p in ctx["permissions"])
        out["contact_notifications"].extend(dict(contact_id=cid, notification=k) for k in ctx["notifications"])

    project_ids = []
    for _ in range(shape["projects"]):
        pid = ids("projects")
        project_ids.append(pid)
        status = rnd.choice(PROJECT_STATUSES)
        start = today - timedelta(days=rnd.randint(0, 700))
        out["projects"].append(
            dict(
                id=pid,
                customer_id=cust_id,
                name=f"Project {pid}",
                description=f"Benchmark project {pid} for customer {cust_id}.",
                status=status,
                start_date=start,
                deadline=start + timedelta(days=rnd.randint(30, 365)),
                progress=100 if status == "finished" else rnd.randint(0, 95),
                created_at=now,
            )
        )
        out["project_settings"].extend(dict(project_id=pid, setting=s) for s in ctx["project_settings"])
        for _ in range(shape["tasks"]):
            tid = ids("tasks")
            out["tasks"].append(
                dict(
                    id=tid,
                    project_id=pid,
                    name=f"Task {tid}",
                    description="",
                    status=rnd.choice(TASK_STATUSES),
                    due_date=start + timedelta(days=rnd.randint(1, 200)),
                    visible_to_customer=rnd.random() < 0.8,
                    created_at=now,
                )
            )

    for _ in range(shape["invoices"]):
        iid = ids("invoices")
        issued = today - timedelta(days=rnd.randint(40 if shape.get("all_overdue") else 0, 1000))
        due = issued + timedelta(days=30)
        if shape.get("all_overdue"):
            status = "unpaid"
        else:
            r = rnd.random()
            if (today - issued).days > 90:  # old invoices are mostly settled
                status = "paid" if r < 0.88 else "cancelled" if r < 0.93 else "partially_paid" if r < 0.95 else "unpaid"
            else:
                status = "draft" if r < 0.1 else "paid" if r < 0.45 else "partially_paid" if r < 0.55 else "unpaid"
        subtotal = tax = Decimal("0")
        for pos in range(1, rnd.randint(1, 3) + 1):
            qty = Decimal(rnd.randint(1, 20))
            price = money(Decimal(rnd.randint(1000, 50000)) / 100)
            rate = rnd.choice(TAX)
            amount = money(qty * price)
            subtotal += amount
            tax += money(amount * rate / 100)
            out["invoice_items"].append(
                dict(
                    id=ids("invoice_items"),
                    invoice_id=iid,
                    position=pos,
                    description=rnd.choice(ITEM_NAMES),
                    quantity=qty,
                    unit_price=price,
                    tax_rate=rate,
                )
            )
        total = money(subtotal + tax)
        paid = (
            total
            if status == "paid"
            else money(total * Decimal("0.4"))
            if status == "partially_paid"
            else Decimal("0.00")
        )
        if paid:
            out["payments"].append(
                dict(
                    id=ids("payments"),
                    invoice_id=iid,
                    amount=paid,
                    date=issued + timedelta(days=rnd.randint(1, 30)),
                    method="Bank transfer",
                    reference=f"REF{iid}",
                    created_at=now,
                )
            )
        out["invoices"].append(
            dict(
                id=iid,
                customer_id=cust_id,
                project_id=rnd.choice(project_ids) if project_ids and rnd.random() < 0.1 else None,
                number=f"INV-{issued.year}-{iid:07d}",
                date=issued,
                due_date=due,
                status=status,
                amount_paid=paid,
                notes="",
                sent_at=None if status == "draft" else now,
                overdue_reminded_on=None,
                due_soon_reminded_on=None,
                subtotal=money(subtotal),
                discount=Decimal("0.00"),
                tax_total=money(tax),
                total=total,
                currency="EUR",
                created_at=now,
            )
        )
    if out["invoices"] and not shape.get("all_overdue"):
        inv = out["invoices"][0]
        out["credit_notes"].append(
            dict(
                id=ids("credit_notes"),
                customer_id=cust_id,
                project_id=None,
                number=f"CN-{cust_id:07d}",
                date=inv["date"],
                status="open",
                invoice_id=inv["id"],
                notes="",
                sent_at=now,
                subtotal=Decimal("50.00"),
                discount=Decimal("0.00"),
                tax_total=Decimal("9.50"),
                total=Decimal("59.50"),
                currency="EUR",
                created_at=now,
            )
        )
    if not shape.get("all_overdue"):
        for status in ("sent", "accepted", "declined", "draft", "sent"):
            eid = ids("estimates")
            out["estimates"].append(
                dict(
                    id=eid,
                    customer_id=cust_id,
                    project_id=None,
                    number=f"EST-{eid:07d}",
                    date=today - timedelta(days=rnd.randint(0, 60)),
                    expiry_date=today + timedelta(days=rnd.randint(-10, 60)),
                    status=status,
                    notes="",
                    signer_name=None,
                    decided_at=None,
                    decided_ip=None,
                    sent_at=now,
                    expiry_reminded_on=None,
                    invoice_id=None,
                    subtotal=Decimal("1000.00"),
                    discount=Decimal("0.00"),
                    tax_total=Decimal("190.00"),
                    total=Decimal("1190.00"),
                    currency="EUR",
                    created_at=now,
                )
            )
        for status in ("open", "accepted"):
            out["proposals"].append(
                dict(
                    id=ids("proposals"),
                    customer_id=cust_id,
                    project_id=None,
                    subject="Maintenance plan",
                    content="Monthly maintenance.",
                    total=Decimal("4800.00"),
                    currency="EUR",
                    date=today - timedelta(days=20),
                    open_till=today + timedelta(days=20),
                    status=status,
                    signer_name=None,
                    decided_at=None,
                    decided_ip=None,
                    created_at=now,
                )
            )
        for signed in (True, False):
            out["contracts"].append(
                dict(
                    id=ids("contracts"),
                    customer_id=cust_id,
                    project_id=None,
                    subject="Framework agreement",
                    content="Terms.",
                    value=Decimal("36000.00"),
                    currency="EUR",
                    start_date=today - timedelta(days=200),
                    end_date=today + timedelta(days=rnd.randint(30, 400)),
                    signer_name="Signer" if signed else None,
                    signed_at=now if signed else None,
                    signer_ip="203.0.113.7" if signed else None,
                    sent_at=now,
                    expiry_reminded_on=None,
                )
            )
    for _ in range(shape["tickets"]):
        kid = ids("tickets")
        out["tickets"].append(
            dict(
                id=kid,
                customer_id=cust_id,
                contact_id=rnd.choice(contact_ids),
                project_id=rnd.choice(project_ids) if project_ids and rnd.random() < 0.3 else None,
                subject=f"Ticket {kid}",
                department=rnd.choice(("General", "Billing")),
                priority=rnd.choice(PRIORITIES),
                status=rnd.choice(TICKET_STATUSES),
                last_reply_at=now - timedelta(hours=rnd.randint(0, 5000)),
                submission_key=None,
                created_at=now,
            )
        )
    return out


# Insert order respects foreign keys.
TABLES = (
    "customers",
    "contacts",
    "contact_permissions",
    "contact_notifications",
    "projects",
    "project_settings",
    "tasks",
    "invoices",
    "invoice_items",
    "payments",
    "credit_notes",
    "estimates",
    "proposals",
    "contracts",
    "tickets",
)


def expected_rows(shape: dict, ctx: dict) -> int:
    """An estimate of the rows per customer, for the progress bar's length."""
    c = shape
    per = 1 + c["contacts"] * (1 + len(ctx["permissions"]) + len(ctx["notifications"]))
    per += c["projects"] * (1 + len(ctx["project_settings"]) + c["tasks"])
    per += c["invoices"] * (1 + 2 + 0.7) + c["tickets"]
    per += 0 if c.get("all_overdue") else 10
    return int(per * c["customers"])


def load(url: str, size: str, chunk: int, seed: int, customers: int | None = None) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import insert, text

    from core.catalogs import DEFAULT_PROJECT_SETTINGS, NOTIFICATIONS, PERMISSIONS
    from core.extensions import db
    from core.passwords import hash_password
    from core.services.bank_details import BankDetails

    shape = dict(SIZES[size])
    if customers:
        shape["customers"] = customers
    app = make_app(url)
    timings: dict[str, float] = {}
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()
        timings["migrations"] = time.perf_counter() - t0
        metadata = db.metadata
        ctx = dict(
            today=date.today(),
            now=datetime.utcnow().replace(microsecond=0),
            tables=TABLES,
            password_hash=hash_password(PASSWORD),  # computed once, shared by every contact
            permissions=sorted(p.key for p in PERMISSIONS),
            notifications=sorted(n.key for n in NOTIFICATIONS),
            project_settings=sorted(DEFAULT_PROJECT_SETTINGS),
        )
        rnd = random.Random(seed)
        ids = Ids({})
        pending: dict[str, list[dict]] = {t: [] for t in TABLES}
        counts = {t: 0 for t in TABLES}
        conn = db.session.connection()

        def flush(force: bool = False) -> int:
            done = 0
            # Parents first; a child chunk is only written after its parents' pending rows.
            if not force and all(len(rows) < chunk for rows in pending.values()):
                return 0
            for table in TABLES:
                rows = pending[table]
                if rows:
                    conn.execute(insert(metadata.tables[table]), rows)
                    counts[table] += len(rows)
                    done += len(rows)
                    pending[table] = []
            return done

        t0 = time.perf_counter()
        total = expected_rows(shape, ctx)
        with click.progressbar(
            length=total, label=f"Loading {size} ({db_label(url)})", show_pos=True, show_percent=True, show_eta=True
        ) as bar:
            for cust_id in range(1, shape["customers"] + 1):
                ids.n["customers"] = cust_id
                for table, rows in customer_rows(cust_id, shape, ids, rnd, ctx).items():
                    pending[table].extend(rows)
                bar.update(flush())
            bar.update(flush(force=True))
            # Departments, one administrator: enough for the admin pages to open.
            conn.execute(
                insert(metadata.tables["departments"]),
                [dict(id=1, name="General", active=True), dict(id=2, name="Billing", active=True)],
            )
            conn.execute(
                insert(metadata.tables["staff_users"]),
                [
                    dict(
                        id=1,
                        email="admin@bench.example",
                        name="Bench Admin",
                        password_hash=ctx["password_hash"],
                        is_admin=True,
                        active=True,
                        session_token=secrets.token_hex(16),
                        created_at=ctx["now"],
                    )
                ],
            )
            # The company's bank account, so open EUR invoices show bank transfer and a GiroCode.
            bank = BankDetails("Northwind Services GmbH", "DE89370400440532013000", "COBADEFFXXX")
            conn.execute(
                insert(metadata.tables["settings"]), [dict(key=k, value=v) for k, v in bank.as_settings().items()]
            )
            db.session.commit()
        timings["insert"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        if db.engine.dialect.name == "postgresql":
            # Explicit ids leave the sequences at 1: move them past the loaded rows.
            for table in metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement and table.c.id.type.python_type is int:
                    name = table.name  # our own tables, not user input
                    sequence = f"pg_get_serial_sequence('{name}', 'id')"
                    sql = f"SELECT setval({sequence}, COALESCE(MAX(id), 0) + 1, false) FROM {name}"  # noqa: S608
                    db.session.execute(text(sql))
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        timings["analyze"] = time.perf_counter() - t0
    counts["staff_users"] = 1
    counts["departments"] = 2
    return dict(counts=counts, timings=timings)


@click.command()
@click.option("--size", type=click.Choice(sorted(SIZES)), required=True)
@click.option("--database-url", default=None, help="SQLAlchemy/DATABASE_URL; default bench/.data/<size>.sqlite3")
@click.option("--chunk", default=5000, show_default=True, help="rows per executemany")
@click.option("--seed", default=2026, show_default=True)
@click.option("--force", is_flag=True, help="allow dropping a database outside bench/.data or portal_bench*")
@click.option("--customers", default=None, type=int, help="override the size's number of customers")
def main(size: str, database_url: str | None, chunk: int, seed: int, force: bool, customers: int | None) -> None:
    url = database_url or default_url(size)
    started = time.perf_counter()
    fresh_database(url, force)
    result = load(url, size, chunk, seed, customers)
    elapsed = time.perf_counter() - started
    counts, timings = result["counts"], result["timings"]
    click.echo(
        f"\n{size} on {db_label(url)}: {sum(counts.values()):,} rows in {elapsed:.1f} s "
        f"(migrations {timings['migrations']:.1f} s, inserts {timings['insert']:.1f} s, "
        f"analyze {timings['analyze']:.1f} s; load average {load_average()})"
    )
    for table, n in counts.items():
        click.echo(f"  {table:<24}{n:>10,}")
    logins = [f"c{cid}@bench.example" for cid in range(1, 1 + SIZES[size]["contacts"] * 3, SIZES[size]["contacts"])]
    click.echo(f"Logins (password {PASSWORD}): {', '.join(logins)} ... (c<id>@bench.example, any contact id)")
    if size != "mail":
        LAST_SIZE.write_text(
            json.dumps(
                dict(
                    size=size,
                    database_url=url,
                    password=PASSWORD,
                    logins=logins,
                    counts=counts,
                    seconds=round(elapsed, 1),
                ),
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
