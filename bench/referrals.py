#!/usr/bin/env python
"""Referrals bench on PostgreSQL (standalone: `.venv/bin/python bench/referrals.py [--quick]`).

Creates a fresh database, migrates it and measures, in-process:

  1. receipt_commit of a referred friend's receipt that rewards three beneficiaries (the friend's extra,
     the referrer, the referrer's referrer) beside a plain commit of the same receipt; target ≤ 1.5×.
  2. the invite-link report (every link, one set-based statement over the sign-ups, whose purchases and revenue
     are kept at commit and return) over customers and receipts generated in bulk SQL (INSERT … SELECT
     generate_series, then one set-based recount); target ≤ 2 s at 1,000,000 customers and 5,000,000 receipts.

--quick uses 100,000 customers and 500,000 receipts and fewer commits. Figures are printed and written to
bench/results-referrals.json. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT))

import datagen  # noqa: E402

SECRET_KEY = "bench-only-secret-key-" + "x" * 40
LINKS = 20


def log(message: str) -> None:
    print(message, flush=True)


def env_for(db_url: str) -> dict:
    env = dict(os.environ)
    env.update({"DATABASE_URL": db_url, "DEBUG": "0", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "loyalty.settings", "PYTHONPATH": str(ROOT)})
    return env


def database_create(admin_url: str, db: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{db}"


def commits(*, merchant, rounds: int) -> dict:
    """Median and p95 of one commit: a plain customer's receipt vs a referred friend's (three beneficiaries)."""
    from django.utils import timezone

    from loyalty.drafts import draft_parse
    from loyalty.services import customer_join, program_update, receipt_commit

    program_update(merchant=merchant, changes={"accrual_percent": "5.00", "referral": {
        "referee_welcome_bonus": 500, "referrer_bonus": 50, "referee_extra_percent": "2.00", "referee_extra_purchases": None,
        "referrer_percent": "1.00", "second_level_percent": "0.50"}})
    store = merchant.stores.get(code="main")
    friends, plain = [], []
    for i in range(10):
        boris = customer_join(merchant=merchant, phone=f"+7916100{i:04d}", name=f"Boris {i}")
        alexander = customer_join(merchant=merchant, phone=f"+7916200{i:04d}", name=f"Alexander {i}", referral_code=boris.referral_code)
        friends.append(customer_join(merchant=merchant, phone=f"+7916300{i:04d}", name=f"Artem {i}", referral_code=alexander.referral_code))
        plain.append(customer_join(merchant=merchant, phone=f"+7916400{i:04d}", name=f"Plain {i}"))
    draft = draft_parse({"lines": [{"sku": "BIKE", "quantity": "1", "price": "1000.00"},
                                   {"sku": "HELMET", "quantity": "2", "price": "249.90"}]}, currency=merchant.currency)
    timings = {"plain": [], "referred": []}
    number = 0
    for round_ in range(rounds + 10):  # the first 10 rounds warm up
        for label, people in (("plain", plain), ("referred", friends)):
            customer = people[round_ % len(people)]
            number += 1
            t0 = time.perf_counter()
            _receipt, calc = receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft, number=f"B-{number}", now=timezone.now())
            elapsed = time.perf_counter() - t0
            if round_ >= 10:
                timings[label].append(elapsed)
            if label == "referred":
                assert sum(1 for item in calc.applied if item["kind"] in ("referee_extra", "referrer_reward")) == 3
    out = {}
    for label, values in timings.items():
        values.sort()
        out[label] = {"median_ms": round(statistics.median(values) * 1000, 2), "p95_ms": round(values[int(len(values) * 0.95) - 1] * 1000, 2)}
    out["ratio_median"] = round(out["referred"]["median_ms"] / out["plain"]["median_ms"], 2)
    return out


def report_data(conn, *, merchant_id: int, store_id: int, customers: int, receipts: int) -> dict:
    """Customers, invite links, sign-ups (three customers in five joined through a link) and receipts, in bulk SQL."""
    timings = {}
    t0 = time.perf_counter()
    conn.execute(datagen.customers_insert_sql(merchant_id=merchant_id, store_id=store_id, first=1, last=customers))
    timings["customers_s"] = round(time.perf_counter() - t0, 1)
    conn.execute(f"""
        INSERT INTO referrals_invitelink (merchant_id, code, name, channel, welcome_bonus, offers, gifts, cost, active, created_at)
        SELECT {merchant_id}, 'link-' || i, 'Link ' || i, CASE WHEN i % 2 = 0 THEN 'ads' ELSE 'partner' END, NULL, '[]', '[]',
               (1000 * i)::numeric, true, now() - interval '1 year'
        FROM generate_series(1, {LINKS}) AS i
    """)
    t0 = time.perf_counter()
    conn.execute(f"""
        INSERT INTO referrals_invitesignup (merchant_id, link_id, customer_id, joined_at, purchases, revenue)
        SELECT c.merchant_id, l.id, c.id, now() - ((n % 365) * interval '1 day'), 0, 0
        FROM (SELECT id, merchant_id, row_number() OVER (ORDER BY phone) AS n FROM accounts_customer WHERE merchant_id = {merchant_id}) c
        JOIN referrals_invitelink l ON l.merchant_id = {merchant_id} AND l.code = 'link-' || (1 + c.n % {LINKS})
        WHERE c.n % 5 < 3
    """)
    timings["signups_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    per_customer = max(receipts // customers, 1)
    conn.execute(f"""
        INSERT INTO loyalty_receipt (id, merchant_id, store_id, customer_id, number, purchased_at, created_at, subtotal, discount,
                                     redeemed_points, redeemed_amount, total, accrued_points, applied, refunded_amount, refunded_cost,
                                     points_reversed, points_returned, fully_refunded)
        SELECT gen_random_uuid(), c.merchant_id, {store_id}, c.id, 'R-' || c.n || '-' || k, now() - (k * interval '1 day'), now(),
               (100 + (c.n * 7 + k * 13) % 5000)::numeric + 0.90, 0, 0, 0, (100 + (c.n * 7 + k * 13) % 5000)::numeric + 0.90, 0, '[]',
               0, CASE WHEN k = 1 AND c.n % 11 = 0 THEN 50 ELSE 0 END, 0, 0, (k = 2 AND c.n % 13 = 0)
        FROM (SELECT id, merchant_id, row_number() OVER (ORDER BY phone) AS n FROM accounts_customer WHERE merchant_id = {merchant_id}) c
        CROSS JOIN generate_series(1, {per_customer}) AS k
    """)
    timings["receipts_s"] = round(time.perf_counter() - t0, 1)
    for table in ("accounts_customer", "referrals_invitesignup", "loyalty_receipt"):
        conn.execute(f"VACUUM ANALYZE {table}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 customers, 500,000 receipts, fewer commits")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--db", default="loyalty_bench_referrals")
    parser.add_argument("--customers", type=int)
    parser.add_argument("--receipts", type=int)
    args = parser.parse_args()
    customers = args.customers or (100_000 if args.quick else 1_000_000)
    receipts = args.receipts or (500_000 if args.quick else 5_000_000)
    rounds = 100 if args.quick else 500

    db_url = database_create(args.admin_url, args.db)
    log(f"Database {args.db}: migrating …")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"], cwd=ROOT, env=env_for(db_url), check=True,
                   capture_output=True)
    os.environ.update({key: value for key, value in env_for(db_url).items() if key != "PYTHONPATH"})
    import django

    django.setup()
    import psycopg
    from django.db import connection

    from accounts.services import merchant_create
    from loyalty.services import program_create  # noqa: F401  (the merchant's program comes with create_merchant)

    subprocess.run([sys.executable, str(ROOT / "manage.py"), "create_merchant", "bench", "--name", "Bench"], cwd=ROOT, env=env_for(db_url),
                   check=True, capture_output=True)
    from accounts.models import Merchant

    merchant = Merchant.objects.get(slug="bench")
    results = {"customers": customers, "receipts": receipts, "commit_rounds": rounds}
    log(f"1. Commits: plain vs a referred friend's receipt (three beneficiaries), {rounds} each …")
    results["commit"] = commits(merchant=merchant, rounds=rounds)
    log(f"   plain median {results['commit']['plain']['median_ms']} ms (p95 {results['commit']['plain']['p95_ms']}), "
        f"referred median {results['commit']['referred']['median_ms']} ms (p95 {results['commit']['referred']['p95_ms']}): "
        f"{results['commit']['ratio_median']}× (target ≤ 1.5×)")

    log(f"2. Generating {customers:,} customers, {LINKS} links and {receipts:,} receipts in bulk SQL …")
    connection.close()
    with psycopg.connect(db_url, autocommit=True) as conn:
        store_id = conn.execute("SELECT id FROM accounts_store WHERE merchant_id = %s AND code = 'main'", [merchant.pk]).fetchone()[0]
        results["datagen"] = report_data(conn, merchant_id=merchant.pk, store_id=store_id, customers=customers, receipts=receipts)
    from referrals.selectors.invite_links import invite_links_report
    from referrals.services.invite_links import invite_signup_recount

    # Receipts written in bulk bypass the commit that keeps each sign-up's figures: one set-based recount.
    t0 = time.perf_counter()
    invite_signup_recount(merchant_id=merchant.pk)
    results["datagen"]["recount_s"] = round(time.perf_counter() - t0, 1)
    log(f"   {results['datagen']}")

    runs = []
    rows = []
    for _ in range(3):
        t0 = time.perf_counter()
        rows = invite_links_report(merchant=merchant)
        runs.append(time.perf_counter() - t0)
    results["report"] = {"best_s": round(min(runs), 3), "median_s": round(statistics.median(runs), 3), "links": len(rows),
                         "signups": sum(row.signups for row in rows), "purchases": sum(row.purchases for row in rows)}
    log(f"   invite-link report over every link: best {results['report']['best_s']} s, median {results['report']['median_s']} s "
        f"({results['report']['signups']:,} sign-ups, {results['report']['purchases']:,} purchases; target ≤ 2 s)")
    (BENCH_DIR / "results-referrals.json").write_text(json.dumps(results, indent=2))
    connection.close()


if __name__ == "__main__":
    main()
