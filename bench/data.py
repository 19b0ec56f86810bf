#!/usr/bin/env python
"""Customer import bench on PostgreSQL: `.venv/bin/python bench/data.py [--quick] [--rows N]`.

Creates a fresh database (dropped first), migrates it, makes a merchant with a tier, generates a CSV
of N customers in memory (phone, name, email, birthday, gender, balance, expiry date, tier, joined
date; 100,000 rows, 10,000 with --quick) and times, through the services the job runs:

  1. the dry run (every row checked, nothing written)
  2. the import (target: 100,000 rows in under 30 s)
  3. the same file again (changes nothing)

Figures are printed and written to bench/results-data.json. Nothing here is asserted.
Set BENCH_DATABASE_URL to a server where this user may create databases
(default postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_PATH = BENCH_DIR / "results-data.json"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_fresh(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def csv_generate(rows: int, *, seed: int = 7) -> bytes:
    """A customer base as the CSV a merchant brings: one string join, no per-row file writes."""
    rng = random.Random(seed)
    today = date.today()
    lines = ["phone,name,email,birthday,gender,card_number,balance,balance_expires_on,tier,joined_at"]
    for i in range(rows):
        birthday = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        expires = today + timedelta(days=rng.randrange(1, 700))
        joined = today - timedelta(days=rng.randrange(1, 2000))
        balance = rng.randrange(0, 5000) if i % 4 else 0
        tier = "gold" if i % 10 == 0 else ""
        lines.append(f"+7999{i:07d},Customer {i},c{i}@example.com,{birthday.isoformat()},{'mf'[i % 2]},,{balance},"
                     f"{expires.isoformat()},{tier},{joined.isoformat()}")
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 100,000")
    parser.add_argument("--rows", type=int, help="rows to import (overrides --quick)")
    parser.add_argument("--db", default="loyalty_bench_data", help="the database to (re)create")
    args = parser.parse_args()
    rows = args.rows or (10_000 if args.quick else 100_000)

    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    log(f"fresh database {args.db}")
    db_url = database_fresh(admin_url, args.db)
    os.environ.update({"DATABASE_URL": db_url, "DEBUG": "0", "SECRET_KEY": "bench-only-secret-key-" + "x" * 40, "ALLOWED_HOSTS": "127.0.0.1",
                       "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "loyalty.settings"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    log("migrating")
    call_command("migrate", verbosity=0)

    from accounts.models import Customer
    from accounts.services import merchant_create
    from loyalty.models import Entry, Lot
    from loyalty.services.imports import import_execute
    from loyalty.services.program import program_create
    from loyalty.services.tiers import tier_base_create, tier_create

    merchant = merchant_create(slug="bench-import", name="Bench import")
    if not hasattr(merchant, "program"):
        program_create(merchant=merchant)
    tier_base_create(merchant=merchant)
    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 10, "entry": {"total_spend": "100000.00"}})
    merchant.refresh_from_db()

    started = time.perf_counter()
    data = csv_generate(rows)
    generated = time.perf_counter() - started
    log(f"generated {rows} rows ({len(data) / 1e6:.1f} MB) in {generated:.2f} s")

    results: dict = {"rows": rows, "file_mb": round(len(data) / 1e6, 2), "generate_s": round(generated, 2)}
    for phase, dry_run in (("dry_run", True), ("import", False), ("reimport", False)):
        started = time.perf_counter()
        outcome = import_execute(merchant=merchant, fmt="csv", data=data, dry_run=dry_run)
        elapsed = time.perf_counter() - started
        results[phase] = {"seconds": round(elapsed, 2), "rows_per_s": round(rows / elapsed), "created": outcome["created"],
                          "updated": outcome["updated"], "balances": outcome["balances"], "errors": len(outcome["errors"])}
        log(f"{phase:9} {elapsed:7.2f} s  {rows / elapsed:9.0f} rows/s  created {outcome['created']}  updated {outcome['updated']}  "
            f"balances {outcome['balances']}  errors {len(outcome['errors'])}")
    results["customers"] = Customer.objects.filter(merchant=merchant).count()
    results["lots"] = Lot.objects.filter(merchant=merchant).count()
    results["entries"] = Entry.objects.filter(merchant=merchant).count()
    results["target_s"] = 30
    results["met"] = results["import"]["seconds"] < 30 if rows >= 100_000 else None
    print(json.dumps(results, indent=2))
    RESULTS_PATH.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
