#!/usr/bin/env python
"""Reports bench on PostgreSQL: `.venv/bin/python bench/reports.py [--quick]`.

Creates a fresh database, generates in bulk SQL a merchant with customers and receipts over three
years (10,000,000 receipts full size; --quick: 200,000) with their accrual and redemption entries,
then measures, in-process:

  1. the economics and customers reports over the whole three years and over the last 30 days,
     computed live (no rollups yet): p50/p95;
  2. the rollup job backfilling every closed day;
  3. the same reports read from the rollups plus today's live figures: p50/p95 (target p95 ≤ 1 s);
  4. the rollup job over one day of 100,000 receipts (--quick: 10,000).

Figures are printed and written to bench/reports-results.json. Nothing is asserted.
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
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_PATH = BENCH_DIR / "reports-results.json"
SECRET_KEY = "bench-only-secret-key-" + "x" * 40


def log(message: str) -> None:
    print(message, flush=True)


def with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def generate_sql(*, merchant_id: int, store_ids: list[int], customers: int, receipts: int, days: int) -> list[tuple[str, str]]:
    """Bulk INSERT … SELECT statements: customers joined over the period, receipts spread over it (70 % by
    members, 10 % with a tier discount, 20 % of members' receipts paying with points), and their entries."""
    stores = "ARRAY[" + ",".join(str(s) for s in store_ids) + "]"
    return [
        ("customers", f"""
        INSERT INTO accounts_customer (id, merchant_id, phone, name, email, gender, language, card_number, referral_code,
            consent_email, consent_sms, consent_push, invite_code, created_at, joined_store_id, search_text)
        SELECT md5('c' || i)::uuid, {merchant_id}, '+7900' || lpad(i::text, 7, '0'), '', '', '', '', lpad(i::text, 13, '0'),
               lpad(i::text, 8, '0'), false, false, true, '',
               now() - interval '{days} days' + (i::float / {customers}) * interval '{days} days',
               ({stores})[1 + i % {len(store_ids)}], ''
        FROM generate_series(1, {customers}) i"""),
        ("receipts", f"""
        INSERT INTO loyalty_receipt (id, merchant_id, store_id, customer_id, number, purchased_at, created_at, subtotal, discount,
            redeemed_points, redeemed_amount, total, accrued_points, applied, refunded_amount, refunded_cost, points_reversed,
            points_returned, fully_refunded)
        SELECT gen_random_uuid(), {merchant_id}, ({stores})[1 + i % {len(store_ids)}],
               CASE WHEN i % 10 < 7 THEN md5('c' || (1 + (i * 7919) % {customers}))::uuid END,
               'B' || i, t, t, s, d, r, r, s - d - r, CASE WHEN i % 10 < 7 THEN ((s - d - r) * 0.05)::int ELSE 0 END,
               CASE WHEN d > 0 THEN jsonb_build_array(jsonb_build_object('kind', 'tier_discount', 'amount', d::text)) ELSE '[]'::jsonb END,
               0, 0, 0, 0, false
        FROM (SELECT i, now() - interval '{days} days' + (i::float / {receipts}) * interval '{days} days' AS t,
                     (100 + (i * 37) % 2900)::numeric(14, 2) AS s,
                     CASE WHEN i % 10 = 3 THEN ((100 + (i * 37) % 2900) * 0.05)::numeric(14, 2) ELSE 0 END AS d,
                     CASE WHEN i % 10 < 7 AND i % 5 = 1 THEN 50 ELSE 0 END AS r
              FROM generate_series(1::bigint, {receipts}) i) g
        WHERE t < now()"""),
        ("accrual entries", f"""
        INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, description_code, receipt_id)
        SELECT merchant_id, customer_id, 'accrual', accrued_points, purchased_at, 'Purchase', '', id
        FROM loyalty_receipt WHERE merchant_id = {merchant_id} AND customer_id IS NOT NULL AND accrued_points > 0"""),
        ("redemption entries", f"""
        INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, description_code, receipt_id)
        SELECT merchant_id, customer_id, 'redemption', -redeemed_points, purchased_at, 'Redeemed', '', id
        FROM loyalty_receipt WHERE merchant_id = {merchant_id} AND customer_id IS NOT NULL AND redeemed_points > 0"""),
        ("analyze", "ANALYZE"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200,000 receipts and a 10,000-receipt day")
    parser.add_argument("--receipts", type=int, help="receipts over the three years (default 10,000,000; --quick 200,000)")
    parser.add_argument("--day-receipts", type=int, help="receipts of the one day the rollup job is timed on (default 100,000)")
    parser.add_argument("--runs", type=int, default=20, help="report calls per measurement")
    parser.add_argument("--db", default="bench_reports")
    args = parser.parse_args()
    receipts = args.receipts or (200_000 if args.quick else 10_000_000)
    day_receipts = args.day_receipts or (10_000 if args.quick else 100_000)
    customers = max(receipts // 20, 100)
    days = 3 * 365

    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    db_url = with_db(admin_url, args.db)
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.db}"')
    env = {**os.environ, "DATABASE_URL": db_url, "DEBUG": "0", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
           "DJANGO_SETTINGS_MODULE": "loyalty.settings", "LOG_LEVEL": "WARNING"}
    log(f"Migrating {args.db} …")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "create_merchant", "bench", "--name", "Bench"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Merchant, Store
    from analytics.periods import period_parse
    from analytics.reports import customers_report, economics_report
    from analytics.rollups import rollup_day, rollups_run

    merchant = Merchant.objects.get(slug="bench")
    Store.objects.get_or_create(merchant=merchant, code="north", defaults={"name": "North"})
    store_ids = list(Store.objects.filter(merchant=merchant).order_by("pk").values_list("pk", flat=True))
    results: dict = {"receipts": receipts, "customers": customers, "day_receipts": day_receipts, "timings": {}, "reports": {}}
    log(f"Generating {customers:,} customers and {receipts:,} receipts over {days} days in SQL …")
    with connection.cursor() as cursor:
        for label, statement in generate_sql(merchant_id=merchant.pk, store_ids=store_ids, customers=customers, receipts=receipts, days=days):
            t0 = time.perf_counter()
            cursor.execute(statement)
            results["timings"][f"{label}_s"] = round(time.perf_counter() - t0, 1)
            log(f"  {label}: {results['timings'][f'{label}_s']} s")

    def measure(label: str) -> None:
        for span, params in (("3 years", {"from": "", "to": ""}), ("30 days", {})):
            if span == "3 years":
                from django.utils import timezone

                today = timezone.now().date()
                params = {"from": (today.replace(year=today.year - 3)).isoformat(), "to": today.isoformat()}
            period = period_parse(merchant=merchant, params=params)
            for name, report in (("economics", economics_report), ("customers", customers_report)):
                times = []
                for _ in range(args.runs):
                    t0 = time.perf_counter()
                    report(period)
                    times.append(time.perf_counter() - t0)
                key = f"{name} {span} {label}"
                results["reports"][key] = {"p50_ms": round(statistics.median(times) * 1000, 1), "p95_ms": round(percentile(times, 0.95) * 1000, 1)}
                log(f"  {key}: p50 {results['reports'][key]['p50_ms']} ms, p95 {results['reports'][key]['p95_ms']} ms")

    log("Reports computed live (no rollups):")
    measure("live")
    log("Rollup job: backfilling every closed day …")
    t0 = time.perf_counter()
    written = rollups_run(merchant=merchant)
    results["timings"]["rollup_backfill_s"] = round(time.perf_counter() - t0, 1)
    results["timings"]["rollup_backfill_days"] = written
    log(f"  {written} days in {results['timings']['rollup_backfill_s']} s")
    log("Reports from rollups plus today's live figures (target p95 ≤ 1 s):")
    measure("rollups")

    log(f"Rollup job over one day of {day_receipts:,} receipts …")
    from datetime import timedelta

    from django.utils import timezone

    day = timezone.now().astimezone(merchant_zone(merchant)).date() - timedelta(days=days + 10)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO loyalty_receipt (id, merchant_id, store_id, customer_id, number, purchased_at, created_at, subtotal, discount,
                redeemed_points, redeemed_amount, total, accrued_points, applied, refunded_amount, refunded_cost, points_reversed,
                points_returned, fully_refunded)
            SELECT gen_random_uuid(), %s, %s, CASE WHEN i %% 10 < 7 THEN md5('c' || (1 + i %% %s))::uuid END, 'D' || i,
                   %s::timestamptz + (i::float / %s) * interval '23 hours', now(), 500, 0, 0, 0, 500, 25, '[]'::jsonb, 0, 0, 0, 0, false
            FROM generate_series(1, %s) i""", [merchant.pk, store_ids[0], customers, f"{day.isoformat()}T00:30:00+03:00", day_receipts, day_receipts])
        cursor.execute("""INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, description_code, receipt_id)
            SELECT merchant_id, customer_id, 'accrual', accrued_points, purchased_at, 'Purchase', '', id FROM loyalty_receipt
            WHERE merchant_id = %s AND number LIKE 'D%%' AND customer_id IS NOT NULL""", [merchant.pk])
        cursor.execute("ANALYZE")
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        rollup_day(merchant=merchant, day=day)
        times.append(time.perf_counter() - t0)
    results["timings"]["rollup_one_day_s"] = round(min(times), 2)
    log(f"  one day of {day_receipts:,} receipts: {results['timings']['rollup_one_day_s']} s (best of 3; a re-run writes the same rows)")
    RESULTS_PATH.write_text(json.dumps(results, indent=2))
    log(f"Written to {RESULTS_PATH}")
    return 0


def merchant_zone(merchant):
    from zoneinfo import ZoneInfo

    return ZoneInfo(merchant.timezone)


if __name__ == "__main__":
    sys.exit(main())
