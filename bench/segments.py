#!/usr/bin/env python
"""Segment count bench on PostgreSQL: `.venv/bin/python bench/segments.py [--quick]`.

Creates a fresh database (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres,
database `loyalty_bench_segments`), migrates it, and generates in bulk SQL 1,000,000 customers (genders,
birthdays, joining dates spread over three years, a tenth of them in a `gold` tier) and 5,000,000
receipts (0 to 9 per customer over two years, 2 % returned in full). `--quick`: a tenth of that.

Then it counts the contract's example segment

    {"all": [{"field": "days_since_purchase", "op": "gte", "value": 60},
             {"any": [{"field": "tier", "op": "in", "value": ["gold"]},
                      {"field": "spend", "op": "gte", "value": "20000.00", "days": 365}]}]}

through `campaigns.selectors.segment_rules_customers(...).count()` (the rules compiled by the app, one
SQL query) and through the same question written by hand in SQL, best of 3 runs each after a warm-up,
checks that both give the same number, and prints the ratio. Targets: ≤ 1.5× the hand-written query
and ≤ 2 s. Results go to stdout and bench/segments.json. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_PATH = BENCH_DIR / "segments.json"
SECRET_KEY = "bench-only-secret-key-" + "x" * 40

RULES = {"all": [{"field": "days_since_purchase", "op": "gte", "value": 60},
                 {"any": [{"field": "tier", "op": "in", "value": ["gold"]},
                          {"field": "spend", "op": "gte", "value": "20000.00", "days": 365}]}]}

HAND_SQL = """
SELECT count(*) FROM accounts_customer c
WHERE c.merchant_id = %(m)s
  AND NOT EXISTS (SELECT 1 FROM loyalty_receipt r
                  WHERE r.merchant_id = %(m)s AND r.customer_id = c.id AND NOT r.fully_refunded AND r.purchased_at >= %(cut60)s)
  AND (c.created_at < %(cut60)s
       OR EXISTS (SELECT 1 FROM loyalty_receipt r WHERE r.merchant_id = %(m)s AND r.customer_id = c.id AND NOT r.fully_refunded))
  AND (EXISTS (SELECT 1 FROM loyalty_pointsaccount a JOIN loyalty_tier t ON t.id = COALESCE(a.override_tier_id, a.tier_id)
               WHERE a.customer_id = c.id AND t.code = 'gold')
       OR c.id IN (SELECT r.customer_id FROM loyalty_receipt r
                   WHERE r.merchant_id = %(m)s AND NOT r.fully_refunded AND r.purchased_at >= %(year)s
                   GROUP BY r.customer_id HAVING sum(r.subtotal - r.discount - r.refunded_cost) >= 20000))
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def env(db_url: str) -> dict:
    out = dict(os.environ)
    out.update({"DATABASE_URL": db_url, "DEBUG": "0", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "loyalty.settings",
                "PYTHONPATH": str(ROOT)})
    return out


def manage(db_url: str, *argv: str) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "manage.py"), *argv], cwd=ROOT, env=env(db_url), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"manage.py {' '.join(argv)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def timed(conn, label: str, statement: str, params=None) -> None:
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.rowcount
    log(f"  {label}: {rows:,} rows in {time.perf_counter() - t0:.1f} s")


def generate(conn, *, merchant_id: int, store_id: int, customers: int) -> None:
    """Customers, their points accounts (a tenth in gold), and 0 to 9 receipts each over two years."""
    log(f"Generating {customers:,} customers and about {customers * 5:,} receipts …")
    timed(conn, "tiers", f"""
        INSERT INTO loyalty_tier (merchant_id, code, name, rank, discount_percent, entry, created_at)
        VALUES ({merchant_id}, 'gold', 'Gold', 5, 0, '{{}}', now())""")
    timed(conn, "customers", f"""
        INSERT INTO accounts_customer (id, merchant_id, phone, name, email, birthday, gender, language, card_number, referral_code,
                                       consent_email, consent_sms, consent_push, invite_code, created_at, joined_store_id, search_text)
        SELECT gen_random_uuid(), {merchant_id}, '+7999' || lpad(i::text, 7, '0'), 'Customer ' || i, '',
               date '1960-01-01' + (i::bigint * 7919 % 16000)::int, CASE i % 3 WHEN 0 THEN 'm' WHEN 1 THEN 'f' ELSE '' END, '',
               lpad(i::text, 13, '0'), (10000000 + i)::text, i % 2 = 0, i % 5 = 0, true, '',
               now() - (i::bigint * 104729 % 1095) * interval '1 day', {store_id}, 'customer ' || i
        FROM generate_series(1, {customers}) AS i""")
    timed(conn, "accounts", f"""
        INSERT INTO loyalty_pointsaccount (customer_id, merchant_id, debt, updated_at, tier_id, override_reason)
        SELECT c.id, c.merchant_id, 0, now(),
               CASE WHEN random() < 0.1 THEN (SELECT id FROM loyalty_tier WHERE merchant_id = {merchant_id} AND code = 'gold') END, ''
        FROM accounts_customer c WHERE c.merchant_id = {merchant_id}""")
    timed(conn, "receipts", f"""
        INSERT INTO loyalty_receipt (id, merchant_id, store_id, customer_id, number, purchased_at, created_at, subtotal, discount,
                                     redeemed_points, redeemed_amount, total, accrued_points, applied, refunded_amount, refunded_cost,
                                     points_reversed, points_returned, fully_refunded)
        SELECT gen_random_uuid(), {merchant_id}, {store_id}, c.id, c.card_number || '-' || g, p.at, p.at, p.amount, 0,
               0, 0, p.amount, 0, '[]', CASE WHEN p.returned THEN p.amount ELSE 0 END, CASE WHEN p.returned THEN p.amount ELSE 0 END,
               0, 0, p.returned
        FROM accounts_customer c
        CROSS JOIN LATERAL generate_series(1, (abs(hashtext(c.id::text)) % 10)) AS g
        CROSS JOIN LATERAL (SELECT now() - random() * interval '730 days' AS at, round((100 + random() * 9900)::numeric, 2) AS amount,
                                   random() < 0.02 AS returned, g AS keep) AS p
        WHERE c.merchant_id = {merchant_id}""")
    timed(conn, "analyze", "ANALYZE")


def best_of(label: str, run, repeat: int = 3) -> tuple[float, int]:
    run()  # warm-up
    times, value = [], None
    for _attempt in range(repeat):
        t0 = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - t0)
    log(f"  {label}: {value:,} members, best {min(times) * 1000:.0f} ms of {', '.join(f'{t * 1000:.0f}' for t in times)}")
    return min(times), value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 customers and about 500,000 receipts")
    parser.add_argument("--customers", type=int, default=None, help="How many customers (default 1,000,000; --quick 100,000)")
    parser.add_argument("--db", default="loyalty_bench_segments", help="The database to (re)create")
    args = parser.parse_args(argv)
    customers = args.customers or (100_000 if args.quick else 1_000_000)

    import psycopg

    admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    db_url = with_db(admin_url, args.db)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{args.db}"')
    log("Migrating …")
    manage(db_url, "migrate", "--noinput")
    manage(db_url, "create_merchant", "bench", "--name", "Bench")
    conn = psycopg.connect(db_url, autocommit=True)
    merchant_id, = conn.execute("SELECT id FROM accounts_merchant WHERE slug = 'bench'").fetchone()
    store_id, = conn.execute("SELECT id FROM accounts_store WHERE merchant_id = %s AND code = 'main'", [merchant_id]).fetchone()
    generate(conn, merchant_id=merchant_id, store_id=store_id, customers=customers)
    receipts, = conn.execute("SELECT count(*) FROM loyalty_receipt").fetchone()

    os.environ.update({key: value for key, value in env(db_url).items() if key != "PYTHONPATH"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Merchant
    from campaigns.rules import Moment
    from campaigns.selectors import members_count, segment_rules_customers

    merchant = Merchant.objects.get(pk=merchant_id)
    now = timezone.now()
    log(f"Counting the example segment over {customers:,} customers and {receipts:,} receipts …")
    app_time, app_count = best_of("compiled by the app", lambda: members_count(segment_rules_customers(merchant=merchant, rules=RULES, now=now)))
    from zoneinfo import ZoneInfo

    moment = Moment(now=now, zone=ZoneInfo(merchant.timezone))
    params = {"m": merchant_id, "cut60": moment.days_back(59), "year": now - timedelta(days=365)}

    def by_hand():
        with connection.cursor() as cursor:
            cursor.execute(HAND_SQL, params)
            return cursor.fetchone()[0]

    hand_time, hand_count = best_of("written by hand", by_hand)
    ratio = app_time / hand_time if hand_time else None
    results = {"customers": customers, "receipts": receipts, "members": app_count, "same_count": app_count == hand_count,
               "app_ms": round(app_time * 1000), "hand_ms": round(hand_time * 1000), "ratio": round(ratio, 2) if ratio else None,
               "targets": {"ratio": "<= 1.5", "app_ms": "<= 2000"},
               "met": bool(ratio is not None and ratio <= 1.5 and app_time <= 2.0 and app_count == hand_count)}
    print()
    print(f"{'segment count':<28}{'members':>12}{'ms':>10}")
    print(f"{'compiled by the app':<28}{app_count:>12,}{results['app_ms']:>10}")
    print(f"{'written by hand':<28}{hand_count:>12,}{results['hand_ms']:>10}")
    print(f"ratio {results['ratio']} (target ≤ 1.5), app {results['app_ms']} ms (target ≤ 2000), same count: {results['same_count']}")
    RESULTS_PATH.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
