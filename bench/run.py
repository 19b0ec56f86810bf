#!/usr/bin/env python
"""Performance bench on PostgreSQL: `make bench` (or `.venv/bin/python bench/run.py [--quick]`).

Creates a fresh database, migrates it, generates the data in bulk in SQL, serves the real app with
gunicorn on loopback and measures (see bench/README.md):

  1. receipt commits/s over HTTP by concurrent clients, p50/p95/p99; then p95 at half that rate (open loop)
  2. pgbench TPC-B tps on the same server, and the ratio commits/s ÷ tps
  3. calculate p95 for a 20-line receipt, over HTTP and the pure in-process call
  4. commits/s with receipt_commit called in-process on threads, and its ratio to pgbench
  5. 8 clients redeeming from one hot account
  6. expire_points over N due lots beside a bare INSERT … SELECT of N rows
  7. customer lookup by phone with 1,000,000 customers, over HTTP and the selector in-process

Figures are printed as a table and written to bench/results.json. Nothing here is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
APP = ROOT  # the application served and imported; --app-dir points elsewhere (e.g. an exported commit)
sys.path.insert(0, str(BENCH_DIR))

import datagen  # noqa: E402
from cpu import CpuMeter  # noqa: E402
import loadgen  # noqa: E402
from loadgen import Call, Result, percentile_ms  # noqa: E402

RESULTS_PATH = BENCH_DIR / "results.json"
SECRET_KEY = "bench-only-secret-key-" + "x" * 40
HOST = "127.0.0.1"

# pgbench's version of one hot account (phase [5]): every client locks the same row, changes it, logs a row.
HOT_ACCOUNT_PGBENCH = """\\set delta random(-20, 20)
BEGIN;
SELECT abalance FROM pgbench_accounts WHERE aid = 1 FOR UPDATE;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = 1;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 1, :delta, CURRENT_TIMESTAMP);
END;
"""

# Other engineers' bench modules, added to the run and the summary when the file exists: each is
# bench/<name>.py, runnable alone, with `run(bench)` that records its figures through bench.metric(...)
# (or returns a list of {"key", "metric", "value", "unit", "target", "met"}). See bench/README.md.
OPTIONAL_MODULES = ("data", "referrals", "segments", "campaigns", "reports")

SKUS = [("MILK-1", "Milk 1L", "dairy", "89.90"), ("BREAD-1", "Bread", "bakery", "54.50"), ("CHEESE-200", "Cheese 200g", "dairy", "249.00"),
        ("APPLE-KG", "Apples", "fruit", "129.90"), ("COFFEE-250", "Coffee 250g", "grocery", "459.00"), ("WATER-15", "Water 1.5L", "drinks", "39.90"),
        ("CHOC-100", "Chocolate", "sweets", "119.00"), ("EGGS-10", "Eggs x10", "dairy", "139.90"), ("RICE-1", "Rice 1kg", "grocery", "99.90"),
        ("TEA-100", "Tea", "grocery", "199.00")]


# --------------------------------------------------------------------------------------------- helpers

def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class BenchError(Exception):
    pass


def with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def pg_connect(url: str, **kwargs):
    import psycopg

    try:
        return psycopg.connect(url, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        parts = urlsplit(url)
        raise BenchError(
            f"Cannot connect to PostgreSQL at {parts.hostname}:{parts.port or 5432} as {parts.username!r}: {str(exc).strip()}\n"
            "Start PostgreSQL or point BENCH_DATABASE_URL at a server where this user may create databases "
            "(e.g. BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres)."
        ) from None


def sql(conn, statement: str, params=None) -> int:
    with conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.rowcount


def timed_sql(conn, label: str, statement: str, params=None) -> float:
    t0 = time.perf_counter()
    rows = sql(conn, statement, params)
    elapsed = time.perf_counter() - t0
    log(f"  {label}: {rows:,} rows in {elapsed:.1f} s")
    return elapsed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ms(value):
    return None if value is None else round(value, 2)


# --------------------------------------------------------------------------------------------- the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.admin_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
        self.db_url = with_db(self.admin_url, args.db)
        self.pgbench_db = args.db + "_pgbench"
        self.tmp = Path(tempfile.mkdtemp(prefix="loyalty-bench-"))
        self.gunicorn: subprocess.Popen | None = None
        self.port = 0
        self.metrics: list[dict] = []
        self.details: dict = {}
        self.run_tag = uuid.uuid4().hex[:6]
        self.customer_ids: list[str] = []
        self.total_customers = 0
        self.conn = None  # psycopg connection to the bench database, autocommit
        self.django_ready = False

    # ---- bookkeeping

    def metric(self, name: str, value, unit: str = "", target: str = "", met: bool | None = None, key: str = "") -> None:
        self.metrics.append({"key": key or name, "metric": name, "value": value, "unit": unit, "target": target, "met": met})

    def cpu(self, phase: str) -> "CpuMeter":
        """Measure where the CPU goes during a phase; printed and kept under details.cpu."""
        bench = self

        class Meter(CpuMeter):
            def __exit__(self, *exc):
                super().__exit__(*exc)
                if self.shares:
                    bench.details.setdefault("cpu", {})[phase] = self.shares
                    log("  " + self.line())
                return False

        return Meter(self.gunicorn.pid if self.gunicorn is not None and self.gunicorn.poll() is None else None,
                     (self.args.db, self.pgbench_db))

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.db_url, "DEBUG": "0", "SECRET_KEY": SECRET_KEY, "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "loyalty.settings",
            "PYTHONPATH": str(APP),
        })
        return env

    def manage(self, *argv: str) -> str:
        proc = subprocess.run([sys.executable, str(APP / "manage.py"), *argv], cwd=APP, env=self.env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchError(f"manage.py {' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
        return proc.stdout

    # ---- setup

    def setup_database(self) -> None:
        log(f"Checking PostgreSQL ({urlsplit(self.admin_url).hostname}) …")
        admin = pg_connect(self.admin_url, autocommit=True)
        with admin:
            version = admin.execute("SHOW server_version").fetchone()[0]
            settings = {name: admin.execute(f"SHOW {name}").fetchone()[0]
                        for name in ("shared_buffers", "max_connections", "synchronous_commit", "fsync", "max_wal_size")}
            self.details["postgres"] = {"version": version, **settings}
            log(f"PostgreSQL {version}; recreating database {self.args.db}")
            admin.execute(f'DROP DATABASE IF EXISTS "{self.args.db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.args.db}"')
        t0 = time.perf_counter()
        self.manage("migrate", "--noinput")
        log(f"  migrate: {time.perf_counter() - t0:.1f} s")
        self.manage("create_merchant", "bench", "--name", "Bench")
        self.pos_key = self.manage("create_api_key", "bench", "--scope", "pos").strip().splitlines()[-1].strip()
        if not self.pos_key.startswith("lk_pos_"):
            raise BenchError(f"create_api_key printed something unexpected: {self.pos_key!r}")
        self.conn = pg_connect(self.db_url, autocommit=True)
        self.merchant_id, = self.conn.execute("SELECT id FROM accounts_merchant WHERE slug = 'bench'").fetchone()
        self.store_id, = self.conn.execute("SELECT id FROM accounts_store WHERE merchant_id = %s AND code = 'main'", [self.merchant_id]).fetchone()

    def extra_columns(self) -> None:
        """Columns the application added that the bulk INSERTs do not name: filled with the model defaults."""
        self.setup_django()
        from accounts.models import Customer
        from loyalty.models import Entry, Lot, PointsAccount

        account_overrides = {}
        if any(f.column == "tier_id" for f in PointsAccount._meta.concrete_fields):
            # Customers start in the merchant's lowest tier (docs/api.md "Tiers"), if tiers exist in this schema.
            account_overrides = {"tier_id": f"(SELECT t.id FROM loyalty_tier t WHERE t.merchant_id = {self.merchant_id:d} ORDER BY t.rank LIMIT 1)",
                                 "tier_since": "now() - interval '2 days'"}
        self.x_customer = self.model_extra(Customer, datagen.CUSTOMER_COLUMNS, {})
        self.x_account = self.model_extra(PointsAccount, datagen.ACCOUNT_COLUMNS, account_overrides)
        self.x_lot = self.model_extra(Lot, datagen.LOT_COLUMNS, {})
        self.x_entry = self.model_extra(Entry, datagen.ENTRY_COLUMNS, {})
        added = {name: x.cols.strip(", ") for name, x in
                 (("customer", self.x_customer), ("account", self.x_account), ("lot", self.x_lot), ("entry", self.x_entry)) if x.cols}
        if added:
            log(f"  columns filled with model defaults: {added}")

    def model_extra(self, model, given: set[str], overrides: dict[str, str]) -> datagen.Extra:
        from django.db import connection as dj_connection
        from django.db.models import JSONField, NOT_PROVIDED
        from psycopg import sql as psql

        columns = {}
        for field in model._meta.concrete_fields:
            column = field.column
            if column in given:
                continue
            if column in overrides:
                columns[column] = overrides[column]
                continue
            if field.null or getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
                continue
            value = field.get_default()  # the default, or "" for a text field without one
            if value is None:
                raise BenchError(f"{model._meta.db_table}.{column} is NOT NULL with no default: bench/datagen.py must fill it")
            if isinstance(field, JSONField):
                columns[column] = psql.Literal(json.dumps(value)).as_string(self.conn) + "::jsonb"
            else:
                columns[column] = psql.Literal(field.get_db_prep_save(value, dj_connection)).as_string(self.conn)
        return datagen.Extra(columns)

    def generate_customers(self, first: int, last: int) -> dict:
        log(f"Generating customers {first:,}..{last:,} in SQL")
        m = self.merchant_id
        timings = {
            "customers_s": timed_sql(self.conn, "customers", datagen.customers_insert_sql(merchant_id=m, store_id=self.store_id, first=first, last=last, extra=self.x_customer)),
            "accounts_s": timed_sql(self.conn, "points accounts", datagen.accounts_insert_sql(merchant_id=m, extra=self.x_account)),
            "welcome_s": timed_sql(self.conn, "welcome lots + entries", datagen.welcome_insert_sql(merchant_id=m, first=first, last=last, lot=self.x_lot, entry=self.x_entry)),
        }
        self.total_customers = last
        self.vacuum()
        return timings

    def vacuum(self) -> None:
        t0 = time.perf_counter()
        for table in ("accounts_customer", "loyalty_pointsaccount", "loyalty_lot", "loyalty_entry", "loyalty_receipt", "loyalty_receiptline"):
            sql(self.conn, f"VACUUM ANALYZE {table}")
        sql(self.conn, "CHECKPOINT")
        log(f"  vacuum analyze + checkpoint: {time.perf_counter() - t0:.1f} s")

    def load_customer_ids(self) -> None:
        rows = self.conn.execute(
            "SELECT id::text FROM accounts_customer WHERE merchant_id = %s ORDER BY phone LIMIT %s", [self.merchant_id, self.args.customers]
        ).fetchall()
        self.customer_ids = [row[0] for row in rows]
        # Customer #1 is the hot account (phase 5); the random traffic uses the others.
        self.hot_customer = self.customer_ids[0]
        self.random_ids = self.customer_ids[1:]

    def setup_django(self) -> None:
        if self.django_ready:
            return
        os.environ.update({k: v for k, v in self.env().items() if k in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "LOG_LEVEL", "DJANGO_SETTINGS_MODULE")})
        import django

        django.setup()
        self.django_ready = True

    # ---- gunicorn

    def start_gunicorn(self) -> None:
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not gunicorn.exists():
            found = shutil.which("gunicorn")
            if not found:
                raise BenchError("gunicorn is not installed in the virtualenv (pip install gunicorn)")
            gunicorn = Path(found)
        self.gunicorn_log = self.tmp / "gunicorn.log"
        command = [str(gunicorn), "loyalty.wsgi", "-w", str(self.args.workers), "-k", "gthread", "--threads", str(self.args.threads),
                   "-b", f"{HOST}:{self.port}", "--backlog", "2048", "--keep-alive", "30", "--error-logfile", str(self.gunicorn_log),
                   "--log-level", "warning"]
        log(f"Starting gunicorn: -w {self.args.workers} -k gthread --threads {self.args.threads} on {HOST}:{self.port}")
        self.details["gunicorn"] = {"workers": self.args.workers, "threads": self.args.threads, "worker_class": "gthread"}
        self.gunicorn = subprocess.Popen(command, cwd=APP, env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        client = loadgen.Client(HOST, self.port, self.headers(), timeout=5)
        while time.time() < deadline:
            if self.gunicorn.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.gunicorn.returncode}:\n{self.gunicorn_tail()}")
            status, _ = client.send(Call("GET", "/api/v1/customers/lookup?q=%2B79990000001"))
            if status == 200:
                client.close()
                return
            time.sleep(0.3)
        raise BenchError(f"gunicorn did not answer within 60 s (last status {status}):\n{self.gunicorn_tail()}")

    def gunicorn_tail(self) -> str:
        try:
            return self.gunicorn_log.read_text()[-3000:]
        except OSError:
            return "(no log)"

    def stop_gunicorn(self) -> None:
        if self.gunicorn is None or self.gunicorn.poll() is not None:
            return
        try:
            os.killpg(self.gunicorn.pid, signal.SIGTERM)
            self.gunicorn.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.gunicorn.pid, signal.SIGKILL)
            self.gunicorn.wait(timeout=5)
        except ProcessLookupError:
            pass

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {getattr(self, 'pos_key', '')}", "Content-Type": "application/json",
                "Accept": "application/json", "X-Forwarded-Proto": "https"}

    # ---- request bodies

    def receipt_body(self, rng: random.Random, *, customer: str, number: str, lines: int | None = None, redeem: int | None = None) -> dict:
        count = lines if lines is not None else rng.randint(1, 5)
        body_lines = []
        for position in range(count):
            sku, name, category, price = SKUS[(position + rng.randrange(len(SKUS))) % len(SKUS)]
            body_lines.append({"sku": sku, "name": name, "category": category, "quantity": str(rng.choice((1, 1, 2, 3))), "price": price})
        body = {"customer": customer, "lines": body_lines, "number": number}
        if redeem is None:
            # One receipt in five is partly paid with points (well within the welcome balance and the cap).
            redeem = rng.randint(1, 30) if rng.random() < 0.2 else 0
        if redeem:
            body["redeem_points"] = redeem
        return body

    def commit_factory(self, prefix: str, *, customer: str | None = None, redeem: int | None = None, lines: int | None = None):
        rngs: dict[int, random.Random] = {}

        def make(tid: int, n: int) -> Call:
            rng = rngs.setdefault(tid, random.Random(f"{prefix}-{tid}"))
            who = customer or rng.choice(self.random_ids)
            body = self.receipt_body(rng, customer=who, number=f"{prefix}-{self.run_tag}-{tid}-{n}", redeem=redeem, lines=lines)
            return Call("POST", "/api/v1/receipts", json.dumps(body).encode(), {"Idempotency-Key": uuid.uuid4().hex}, expect=201)

        return make

    # ---- phases

    def phase_pgbench(self) -> None:
        pgbench = shutil.which("pgbench")
        if not pgbench:
            log("pgbench is not installed: skipping the pgbench baseline and the ratios")
            self.pgbench_tps = None
            self.pgbench_hot_tps = None
            return
        parts = urlsplit(self.admin_url)
        conn_args = ["-h", parts.hostname or HOST, "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
        env = dict(os.environ)
        if parts.password:
            env["PGPASSWORD"] = parts.password
        admin = pg_connect(self.admin_url, autocommit=True)
        with admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.pgbench_db}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.pgbench_db}"')
        log(f"pgbench -i -s {self.args.pgbench_scale} on {self.pgbench_db}")
        init = subprocess.run([pgbench, *conn_args, "-i", "-q", "-s", str(self.args.pgbench_scale), self.pgbench_db], capture_output=True, text=True, env=env)
        if init.returncode != 0:
            raise BenchError(f"pgbench -i failed:\n{init.stderr[-2000:]}")
        sql(self.conn, "CHECKPOINT")
        log(f"pgbench -c 8 -j 2 -T {self.args.pgbench_time} (TPC-B)")
        with self.cpu("pgbench"):
            run = subprocess.run([pgbench, *conn_args, "-c", "8", "-j", "2", "-T", str(self.args.pgbench_time), self.pgbench_db],
                                 capture_output=True, text=True, env=env)
        if run.returncode != 0:
            raise BenchError(f"pgbench failed:\n{run.stderr[-2000:]}")
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout) or re.search(r"tps = ([\d.]+)", run.stdout)
        if not match:
            raise BenchError(f"cannot read tps from pgbench output:\n{run.stdout[-2000:]}")
        self.pgbench_tps = float(match.group(1))
        latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
        self.details["pgbench"] = {"scale": self.args.pgbench_scale, "clients": 8, "threads": 2, "seconds": self.args.pgbench_time,
                                   "tps": self.pgbench_tps, "latency_avg_ms": float(latency.group(1)) if latency else None}
        log(f"  pgbench: {self.pgbench_tps:,.0f} tps")
        self.metric("pgbench TPC-B tps (-c 8 -j 2)", round(self.pgbench_tps, 1), "tx/s", key="pgbench_tps")

        # The hot-row pattern of phase [5] in pgbench's own terms: 8 clients, one account row locked,
        # updated and a history row written per transaction. The yardstick for the hot-account figure.
        script = self.tmp / "hot_account.sql"
        script.write_text(HOT_ACCOUNT_PGBENCH)
        clients = self.args.hot_clients
        log(f"pgbench hot account: -f hot_account.sql -c {clients} -j 2 -T {int(self.args.hot_duration)}")
        with self.cpu("pgbench_hot"):
            hot = subprocess.run([pgbench, *conn_args, "-n", "-f", str(script), "-c", str(clients), "-j", "2",
                                  "-T", str(max(int(self.args.hot_duration), 1)), self.pgbench_db], capture_output=True, text=True, env=env)
        if hot.returncode != 0:
            raise BenchError(f"pgbench (hot account) failed:\n{hot.stderr[-2000:]}")
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", hot.stdout) or re.search(r"tps = ([\d.]+)", hot.stdout)
        self.pgbench_hot_tps = float(match.group(1)) if match else None
        self.details["pgbench_hot"] = {"clients": clients, "tps": self.pgbench_hot_tps, "script": HOT_ACCOUNT_PGBENCH}
        log(f"  pgbench hot account: {self.pgbench_hot_tps or 0:,.0f} tps")
        self.metric(f"pgbench hot-account tps (one row, -c {clients})", self.pgbench_hot_tps and round(self.pgbench_hot_tps, 1), "tx/s",
                    key="pgbench_hot_tps")

    def phase_warmup(self) -> None:
        log("Warming up the app (3 s) …")
        loadgen.closed_loop(host=HOST, port=self.port, headers=self.headers(), make=self.commit_factory("W"), clients=self.args.clients, duration=3)

    def phase_commits_http(self) -> None:
        a = self.args
        log(f"[1] Receipt commits over HTTP: {a.clients} closed-loop clients for {a.duration} s")
        with self.cpu("commit_http_peak"):
            peak = loadgen.closed_loop(host=HOST, port=self.port, headers=self.headers(), make=self.commit_factory("C"), clients=a.clients, duration=a.duration)
        self.details["commit_http_peak"] = peak.summary()
        log(f"  {peak.rate:,.1f} commits/s, p50 {peak.pct_ms(50):.1f} ms, p95 {peak.pct_ms(95):.1f} ms, p99 {peak.pct_ms(99):.1f} ms; statuses {dict(peak.statuses)}")
        self.http_commit_rate = peak.rate
        self.metric(f"HTTP commits/s ({a.clients} clients)", round(peak.rate, 1), "/s", key="http_commits_per_s")
        self.metric("HTTP commit latency p50 at peak", ms(peak.pct_ms(50)), "ms", key="http_commit_p50_ms")
        self.metric("HTTP commit latency p95 at peak", ms(peak.pct_ms(95)), "ms", key="http_commit_p95_ms")
        self.metric("HTTP commit latency p99 at peak", ms(peak.pct_ms(99)), "ms", key="http_commit_p99_ms")
        errors = sum(v for k, v in peak.statuses.items() if k != 201)
        if errors:
            self.metric("HTTP commit errors at peak (non-201)", errors, "", "0", errors == 0, key="http_commit_errors")
        if self.pgbench_tps:
            ratio = peak.rate / self.pgbench_tps
            self.metric("HTTP commits/s ÷ pgbench tps", round(ratio, 3), "", "≥ 0.10", ratio >= 0.10, key="http_ratio_pgbench")

        rate = max(peak.rate / 2, 1.0)
        log(f"[1b] Commits at half the peak rate: open loop, {rate:,.1f}/s over {a.clients} connections for {a.duration} s")
        with self.cpu("commit_http_half_rate"):
            half = loadgen.open_loop(host=HOST, port=self.port, headers=self.headers(), make=self.commit_factory("H"), rate=rate, clients=a.clients, duration=a.duration)
        self.details["commit_http_half_rate"] = {"target_rate": round(rate, 1), **half.summary()}
        log(f"  achieved {half.rate:,.1f}/s, p50 {half.pct_ms(50):.1f} ms, p95 {half.pct_ms(95):.1f} ms, p99 {half.pct_ms(99):.1f} ms")
        self.metric(f"HTTP commit p95 at half peak ({rate:,.0f}/s, open loop)", ms(half.pct_ms(95)), "ms", key="http_commit_half_p95_ms")
        self.metric("HTTP commit p99 at half peak", ms(half.pct_ms(99)), "ms", key="http_commit_half_p99_ms")

    def calc_body(self, rng: random.Random) -> dict:
        body = self.receipt_body(rng, customer=rng.choice(self.random_ids), number="x", lines=20, redeem=10)
        body.pop("number")
        return body

    def phase_calculate(self) -> None:
        a = self.args
        live = a.promotions
        log(f"[3] calculate, 20-line receipt, {live} live promotions: {a.samples} sequential HTTP requests")
        rng = random.Random("calc")

        def make(tid: int, n: int) -> Call:
            return Call("POST", "/api/v1/receipts/calculate", json.dumps(self.calc_body(rng)).encode(), expect=200)

        loadgen.sequential(host=HOST, port=self.port, headers=self.headers(), make=make, count=50)  # warm
        with self.cpu("calculate_http"):
            result = loadgen.sequential(host=HOST, port=self.port, headers=self.headers(), make=make, count=a.samples)
        self.details["calculate_http"] = {"promotions": live, **result.summary()}
        log(f"  HTTP p50 {result.pct_ms(50):.2f} ms, p95 {result.pct_ms(95):.2f} ms")
        p95 = result.pct_ms(95)
        self.metric(f"calculate p95, 20 lines, {live} promotions, HTTP", ms(p95), "ms", "≤ 10 ms", p95 is not None and p95 <= 10, key="calc_http_p95_ms")

        self.setup_django()
        from accounts.models import Merchant, Store
        from loyalty.checkout import calculate
        from loyalty.drafts import draft_parse
        from loyalty.extensions import checkout_extras_load
        from loyalty.models import PointsAccount
        from loyalty.services.receipts import checkout_context_build, receipt_calculate
        from accounts.selectors import customer_get
        from django.db import connection
        from django.utils import timezone

        merchant = Merchant.objects.get(slug="bench")
        store = Store.objects.get(merchant=merchant, code="main")
        # In process: the pipeline with every registered step, its context (the promotions' state
        # included) gathered once per draft beforehand, as the service does before it prices.
        prepared = []
        for _ in range(50):
            body = self.calc_body(rng)
            draft = draft_parse(body, currency=merchant.currency)
            customer = customer_get(merchant=merchant, customer_id=body["customer"])
            account = PointsAccount.objects.filter(customer=customer).select_related("tier", "override_tier").first()
            ctx = checkout_context_build(merchant=merchant, program=merchant.program, customer=customer, account=account, now=timezone.now())
            checkout_extras_load(ctx, merchant=merchant, customer=customer, draft=draft, store=store, for_commit=False)
            prepared.append((draft, ctx))
        for draft, ctx in prepared:
            calculate(draft, ctx)
        latencies = []
        for n in range(a.samples * 4):
            draft, ctx = prepared[n % len(prepared)]
            t0 = time.perf_counter()
            calculate(draft, ctx)
            latencies.append(time.perf_counter() - t0)
        pure95 = percentile_ms(latencies, 95)
        applied = len(calculate(*prepared[0]).applied)
        self.details["calculate_pure"] = {"samples": len(latencies), "promotions": live, "applied_in_first": applied,
                                          "p50_ms": ms(percentile_ms(latencies, 50)), "p95_ms": ms(pure95), "p99_ms": ms(percentile_ms(latencies, 99))}
        log(f"  in-process calculate p50 {percentile_ms(latencies, 50):.3f} ms, p95 {pure95:.3f} ms")
        self.metric(f"calculate p95, 20 lines, {live} promotions, in process", round(pure95, 3), "ms", "≤ 2 ms", pure95 <= 2, key="calc_pure_p95_ms")

        # The service as the API calls it (reads the program, debt, spendable points, promotions' state), for context.
        latencies = []
        for n in range(a.samples):
            body = self.calc_body(rng)
            t0 = time.perf_counter()
            customer = customer_get(merchant=merchant, customer_id=body["customer"])
            receipt_calculate(merchant=merchant, customer=customer, draft=draft_parse(body, currency=merchant.currency))
            latencies.append(time.perf_counter() - t0)
        svc95 = percentile_ms(latencies, 95)
        self.details["calculate_service_inprocess"] = {"samples": len(latencies), "p50_ms": ms(percentile_ms(latencies, 50)), "p95_ms": ms(svc95)}
        self.metric(f"calculate p95, 20 lines, {live} promotions, receipt_calculate in process (with DB reads)", ms(svc95), "ms",
                    key="calc_service_p95_ms")
        connection.close()

    def phase_query_counts(self, promotions: int = 0) -> None:
        """Deterministic, unlike timings on a shared machine: SQL statements per API call (Django test client).

        Run with no promotion and again with the live promotions: the counts must not grow with them, nor
        with the lines of a receipt (a 3-line and a 20-line commit, both redeeming and accruing).
        """
        self.setup_django()
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        log(f"SQL statements per API call with {promotions} live promotions (in-process test client)")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {self.pos_key}", HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
        rng = random.Random(f"queries-{promotions}")
        lookup_q = datagen.national_phone_of(rng.randint(2, len(self.customer_ids)))

        def commit(lines: int):
            body = self.receipt_body(rng, customer=rng.choice(self.random_ids), number=f"Q-{self.run_tag}-{rng.random()}", lines=lines, redeem=10)
            return client.post("/api/v1/receipts", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)

        calls = {
            "commit": lambda: commit(3),
            "commit_20_lines": lambda: commit(20),
            "calculate_20_lines": lambda: client.post("/api/v1/receipts/calculate", self.calc_body(rng), content_type="application/json"),
            "lookup": lambda: client.get("/api/v1/customers/lookup", {"q": lookup_q}),
        }
        counts = self.details.setdefault("queries_per_call", {})
        suffix = f"_{promotions}_promotions" if promotions else ""
        for name, call in calls.items():
            call()  # the API key's last_used_at is touched at most once a minute: not counted
            with CaptureQueriesContext(connection) as captured:
                response = call()
            everything = [q["sql"] for q in captured.captured_queries]
            commits = sum(1 for q in everything if q.strip().upper().startswith("COMMIT"))
            # Counted: the statements that read or write; BEGIN and COMMIT (transaction control) are listed apart.
            statements = [q for q in everything if q.strip().upper() not in ("BEGIN", "COMMIT")]
            counts[name + suffix] = {"status": response.status_code, "statements": len(statements), "with_begin_commit": len(everything),
                                     "commits": commits, "sql": [q[:160] for q in everything]}
            log(f"  {name}: {len(statements)} SQL statements (+ {len(everything) - len(statements)} BEGIN/COMMIT), "
                f"{commits} transaction commit(s) (status {response.status_code})")
            label = f"SQL statements per {name.replace('_', ' ')} call, {promotions} promotions"
            if promotions and name in ("commit", "calculate_20_lines", "commit_20_lines"):
                base = counts.get(name, {}).get("statements")
                target = "no more than with 0 promotions" + (f" ({base})" if base is not None else "")
                if name == "commit":
                    target = "≤ 8, " + target
                met = (base is None or len(statements) <= base) and (name != "commit" or len(statements) <= 8)
                self.metric(label, len(statements), "", target, met, key=f"queries_{name}{suffix}")
            elif name == "commit":
                self.metric(label + " (3 lines, redemption and accrual)", len(statements), "", "≤ 8", len(statements) <= 8, key=f"queries_{name}{suffix}")
            elif name == "commit_20_lines":
                base = counts.get("commit", {}).get("statements")
                self.metric(label, len(statements), "", "as many as 3 lines", base is None or len(statements) <= base, key=f"queries_{name}{suffix}")
            else:
                self.metric(label, len(statements), "", key=f"queries_{name}{suffix}")
        connection.close()

    def phase_hot_account(self) -> None:
        a = self.args
        sql(self.conn, datagen.hot_balance_sql(merchant_id=self.merchant_id, customer_id=self.hot_customer, points=50_000_000, lot=self.x_lot, entry=self.x_entry))
        log(f"[5] Hot account: {a.hot_clients} clients redeeming 20 points each from one customer for {a.hot_duration} s")
        before = self.conn.execute("SELECT count(*) FROM loyalty_lot WHERE customer_id = %s", [self.hot_customer]).fetchone()[0]
        with self.cpu("hot_account"):
            result = loadgen.closed_loop(host=HOST, port=self.port, headers=self.headers(),
                                         make=self.commit_factory("HOT", customer=self.hot_customer, redeem=20, lines=3),
                                         clients=a.hot_clients, duration=a.hot_duration)
        after = self.conn.execute("SELECT count(*) FROM loyalty_lot WHERE customer_id = %s", [self.hot_customer]).fetchone()[0]
        # Each commit keeps the customer's ledger consistent: check it once, it is cheap.
        entries, lots = self.conn.execute(
            "SELECT (SELECT sum(points) FROM loyalty_entry WHERE customer_id = %s), (SELECT sum(remaining) FROM loyalty_lot WHERE customer_id = %s)",
            [self.hot_customer, self.hot_customer]).fetchone()
        self.details["hot_account"] = {**result.summary(), "lots_before": before, "lots_after": after, "ledger_consistent": entries == lots}
        log(f"  {result.rate:,.1f} commits/s, p95 {result.pct_ms(95):.1f} ms; the customer's lots grew {before} → {after}; ledger consistent: {entries == lots}")
        self.metric(f"hot account commits/s ({a.hot_clients} clients, one customer)", round(result.rate, 1), "/s", key="hot_commits_per_s")
        self.metric("hot account commit p95", ms(result.pct_ms(95)), "ms", key="hot_commit_p95_ms")
        if getattr(self, "pgbench_hot_tps", None):
            ratio = result.rate / self.pgbench_hot_tps
            self.metric("hot account commits/s ÷ pgbench hot-account tps", round(ratio, 3), "", "≥ 0.3", ratio >= 0.3, key="hot_ratio_pgbench")
        errors = sum(v for k, v in result.statuses.items() if k != 201)
        if errors:
            self.metric("hot account errors (non-201)", errors, "", "0", False, key="hot_errors")

    def phase_commits_inprocess(self) -> None:
        a = self.args
        self.setup_django()
        from django.db import connection
        from django.utils import timezone

        from accounts.models import Merchant, Store
        from accounts.selectors import customer_get
        from loyalty.drafts import draft_parse
        from loyalty.services import receipt_commit

        log(f"[4] receipt_commit in-process: {a.inproc_threads} threads for {a.duration} s")
        stop = [0.0]
        gate = threading.Barrier(a.inproc_threads + 1)
        results = [Result() for _ in range(a.inproc_threads)]

        def worker(tid: int) -> None:
            rng = random.Random(f"inproc-{tid}")
            merchant = Merchant.objects.get(slug="bench")
            store = Store.objects.get(merchant=merchant, code="main")
            out = results[tid]
            n = 0
            try:
                gate.wait()
                while time.perf_counter() < stop[0]:
                    body = self.receipt_body(rng, customer=rng.choice(self.random_ids), number=f"P-{self.run_tag}-{tid}-{n}")
                    n += 1
                    t0 = time.perf_counter()
                    try:
                        customer = customer_get(merchant=merchant, customer_id=body["customer"])
                        draft = draft_parse(body, currency=merchant.currency, extra_keys=("number",))
                        receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft, number=body["number"], now=timezone.now())
                    except Exception as exc:  # counted, never fatal: the figure shows it
                        out.statuses[type(exc).__name__] += 1
                        if len(out.samples) < 5:
                            out.samples.append(repr(exc)[:300])
                        continue
                    out.latencies.append(time.perf_counter() - t0)
                    out.ok += 1
                    out.statuses["ok"] += 1
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(tid,), daemon=True) for tid in range(a.inproc_threads)]
        for thread in threads:
            thread.start()
        with self.cpu("commit_inprocess"):
            began = time.perf_counter()
            stop[0] = began + a.duration
            gate.wait()
            for thread in threads:
                thread.join()
        total = Result(elapsed=time.perf_counter() - began)
        for item in results:
            total.merge(item)
        self.details["commit_inprocess"] = {"threads": a.inproc_threads, **total.summary()}
        if not total.ok:
            log(f"  no commit succeeded; statuses {dict(total.statuses)}; first errors: {total.samples[:3]}")
        else:
            log(f"  {total.rate:,.1f} commits/s, p50 {total.pct_ms(50):.1f} ms, p95 {total.pct_ms(95):.1f} ms; statuses {dict(total.statuses)}")
        self.metric(f"in-process receipt_commit commits/s ({a.inproc_threads} threads)", round(total.rate, 1), "/s", key="inproc_commits_per_s")
        self.metric("in-process commit p95", ms(total.pct_ms(95)), "ms", key="inproc_commit_p95_ms")
        if self.pgbench_tps:
            ratio = total.rate / self.pgbench_tps
            self.metric("in-process commits/s ÷ pgbench tps", round(ratio, 3), "", "≥ 0.30", ratio >= 0.30, key="inproc_ratio_pgbench")

    def phase_expiry(self) -> None:
        a = self.args
        log(f"[6] expire_points over {a.due_lots:,} due lots")
        timed_sql(self.conn, f"{a.due_lots:,} due lots + their accrual entries", datagen.due_lots_insert_sql(merchant_id=self.merchant_id, count=a.due_lots, lot=self.x_lot, entry=self.x_entry))
        self.vacuum()

        sql(self.conn, datagen.PLAIN_TABLE_SQL)
        sql(self.conn, "CHECKPOINT")
        t0 = time.perf_counter()
        plain_rows = sql(self.conn, datagen.plain_insert_sql(count=a.due_lots))
        bare = time.perf_counter() - t0
        log(f"  bare INSERT … SELECT of {plain_rows:,} rows into a plain table: {bare:.2f} s")
        # Diagnosis, not a target: the same rows into a copy of loyalty_entry with all its indexes (no FKs,
        # no triggers), to tell what the schema's indexes cost from what the job itself does.
        sql(self.conn, "DROP TABLE IF EXISTS bench_indexed_entry; CREATE TABLE bench_indexed_entry (LIKE loyalty_entry INCLUDING ALL)")
        sql(self.conn, "CHECKPOINT")
        t0 = time.perf_counter()
        sql(self.conn, datagen.plain_insert_sql(count=a.due_lots).replace("bench_plain_entry", "bench_indexed_entry"))
        indexed = time.perf_counter() - t0
        n_indexes = self.conn.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'loyalty_entry'::regclass").fetchone()[0]
        log(f"  the same INSERT into a copy of loyalty_entry with its {n_indexes} indexes: {indexed:.2f} s")
        sql(self.conn, "DROP TABLE bench_indexed_entry")
        sql(self.conn, "CHECKPOINT")

        # The yardstick: the job's work written by hand as ONE statement on the same tables (lots zeroed,
        # one expiry entry each), timed inside a transaction that is then rolled back, and the tables
        # vacuumed so the job finds them as the yardstick did.
        stamp = datetime.now(dt_timezone.utc) - timedelta(days=1)
        with self.conn.transaction(force_rollback=True):
            t0 = time.perf_counter()
            yard_rows = sql(self.conn, """
                WITH expired AS (
                    UPDATE loyalty_lot SET expired_points = remaining, remaining = 0, expired_at = %s
                    WHERE remaining > 0 AND expires_at <= %s
                    RETURNING id, merchant_id, customer_id, expired_points, expires_at
                )
                INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, description_code, lot_id)
                SELECT merchant_id, customer_id, 'expiry', -expired_points, expires_at, 'Points expired', 'entry.expiry', id FROM expired
            """, [stamp, stamp])
            yardstick = time.perf_counter() - t0
        log(f"  yardstick, one hand-written statement: {yard_rows:,} lots expired in {yardstick:.2f} s (rolled back)")
        for table in ("loyalty_lot", "loyalty_entry"):
            sql(self.conn, f"VACUUM ANALYZE {table}")
        sql(self.conn, "CHECKPOINT")
        wal0 = self.conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]

        # The job in its own process (as `manage.py expire_points` runs it), so its memory is its own:
        # peak RSS after Django is set up and after the job.
        now = datetime.now(dt_timezone.utc) - timedelta(days=1)  # the generated lots expired 30 days ago; welcome lots expire in 13 days
        probe = (
            "import django, json, resource, time, datetime\n"
            "django.setup()\n"
            "from loyalty.jobs import job_run\n"
            "from django.db import connection\n"
            "connection.ensure_connection()\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"now = datetime.datetime.fromisoformat({now.isoformat()!r})\n"
            "t0 = time.perf_counter()\n"
            "expired = job_run(name='expire_points', now=now)\n"
            "took = time.perf_counter() - t0\n"
            "print(json.dumps({'expired': expired, 'seconds': took, 'rss_before_kib': before,"
            " 'rss_after_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
        )
        with self.cpu("expire_points"):
            proc = subprocess.run([sys.executable, "-c", probe], cwd=APP, env=self.env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise BenchError(f"expire_points failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        job = json.loads(proc.stdout.strip().splitlines()[-1])
        expired, took = job["expired"], job["seconds"]
        grown_mib = (job["rss_after_kib"] - job["rss_before_kib"]) / 1024
        wal = self.conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal0]).fetchone()[0]
        log(f"  expire_points wrote {int(wal) / 2**20:,.0f} MiB of WAL; its process grew {grown_mib:,.1f} MiB")
        log(f"  expire_points (job_run, as `manage.py expire_points --now {now:%Y-%m-%dT%H:%M:%SZ}` does): {expired:,} lots in {took:.2f} s")
        ratio = took / bare if bare else None
        yard_ratio = took / yardstick if yardstick else None
        self.details["expiry"] = {"due_lots": a.due_lots, "expired": expired, "expire_s": round(took, 3), "bare_insert_s": round(bare, 3),
                                  "yardstick_s": round(yardstick, 3), "yardstick_rows": yard_rows,
                                  "indexed_copy_insert_s": round(indexed, 3), "expire_wal_mib": round(int(wal) / 2**20, 1),
                                  "rss_growth_mib": round(grown_mib, 1), "ratio_bare": round(ratio, 2) if ratio else None,
                                  "ratio_yardstick": round(yard_ratio, 2) if yard_ratio else None}
        self.metric(f"expire_points, {a.due_lots:,} due lots", round(took, 2), "s", key="expire_s")
        self.metric(f"yardstick: the same work as one hand-written statement", round(yardstick, 2), "s", key="expire_yardstick_s")
        self.metric("expire_points ÷ yardstick statement", yard_ratio and round(yard_ratio, 2), "x", "≤ 2x",
                    yard_ratio is not None and yard_ratio <= 2, key="expire_ratio_yardstick")
        self.metric("expire_points memory growth (peak RSS)", round(grown_mib, 1), "MiB", "flat (< 64 MiB)", grown_mib < 64, key="expire_rss_growth_mib")
        self.metric(f"(diagnosis) bare INSERT … SELECT of {a.due_lots:,} rows", round(bare, 2), "s", key="bare_insert_s")
        self.metric("(diagnosis) expire_points ÷ bare insert", round(ratio, 2), "x", key="expire_ratio")
        self.metric("(diagnosis) same INSERT into a copy of loyalty_entry's indexes", round(indexed, 2), "s", key="indexed_insert_s")
        if expired != a.due_lots:
            self.metric("expired lots ≠ due lots", expired, "", str(a.due_lots), False, key="expire_count_mismatch")

    def promotion_dicts(self, count: int) -> list[dict]:
        """`count` live promotions of every kind the pipeline prices, none with a shared counter to lock."""
        categories = sorted({c for _, _, c, _ in SKUS})
        out = []
        for i in range(count):
            sku = SKUS[i % len(SKUS)][0]
            category = categories[i % len(categories)]
            base = {"code": f"bench-{i:02d}", "name": f"Bench promotion {i}", "priority": i % 7}
            kind = i % 10
            if kind == 0:
                base |= {"target": {"skus": [], "categories": [category]}, "effects": [{"type": "percent_off", "value": "5"}]}
            elif kind == 1:
                base |= {"target": {"skus": [sku], "categories": []}, "effects": [{"type": "extra_points_percent", "value": "1"}]}
            elif kind == 2:
                base |= {"conditions": {"min_subtotal": "100.00"}, "effects": [{"type": "points_multiplier", "value": "1.5"}]}
            elif kind == 3:
                base |= {"conditions": {"skus": [sku], "min_quantity": 2}, "target": {"skus": [sku], "categories": []},
                         "effects": [{"type": "amount_off", "value": "1.00"}]}
            elif kind == 4:
                base |= {"weekly": [{"days": [1, 2, 3, 4, 5, 6, 7], "from": "00:00", "to": "23:59"}],
                         "effects": [{"type": "percent_off", "value": "1"}]}
            elif kind == 5:
                base |= {"audience": {"tiers": ["base"]}, "effects": [{"type": "extra_points", "value": "1"}]}
            elif kind == 6:
                base |= {"conditions": {"categories": [category]}, "target": {"skus": [], "categories": [category]},
                         "effects": [{"type": "extra_points_percent", "value": "0.5"}]}
            elif kind == 7:
                base |= {"exclusive": True, "target": {"skus": [], "categories": [category]}, "effects": [{"type": "percent_off", "value": "3"}]}
            elif kind == 8:
                base |= {"starts_at": "2020-01-01T00:00:00+00:00", "ends_at": "2099-01-01T00:00:00+00:00",
                         "effects": [{"type": "extra_points_percent", "value": "0.5"}]}
            else:
                base |= {"target": {"skus": [sku], "categories": []}, "effects": [{"type": "fixed_price", "value": "9999.00"}]}
            out.append(base)
        return out

    def phase_promotions_setup(self) -> None:
        a = self.args
        self.setup_django()
        from django.db import connection

        from accounts.models import Merchant
        from promotions.services import promotion_create

        merchant = Merchant.objects.get(slug="bench")
        for data in self.promotion_dicts(a.promotions):
            promotion_create(merchant=merchant, data=data)
        connection.close()
        self.details["promotions"] = {"live": a.promotions}
        log(f"{a.promotions} live promotions created: every calculate and commit from here on prices them")

    def phase_backtest(self) -> None:
        """The back-test of one promotion over N receipts of the last 90 days (generated in SQL, 3 lines each)."""
        a = self.args
        m = self.merchant_id
        n = a.backtest_receipts
        self.setup_django()
        from accounts.models import Merchant
        from django.db import connection
        from django.utils import timezone
        from loyalty.models import Receipt, ReceiptLine
        from promotions.services.backtest import promotion_backtest

        log(f"[10] promotion back-test over {n:,} receipts of the last 90 days")
        x_receipt = self.model_extra(Receipt, {"id", "merchant_id", "store_id", "customer_id", "number", "purchased_at", "created_at", "subtotal",
                                               "discount", "redeemed_points", "redeemed_amount", "total", "accrued_points", "applied"}, {})
        x_line = self.model_extra(ReceiptLine, {"id", "receipt_id", "merchant_id", "position", "sku", "name", "category", "quantity", "price",
                                                "amount", "discount", "redeemed_points", "redeemed_amount", "total", "accrued_points"}, {})
        skus = "ARRAY[" + ",".join(f"'{s}'" for s, _, _, _ in SKUS) + "]"
        categories = "ARRAY[" + ",".join(f"'{c}'" for _, _, c, _ in SKUS) + "]"
        prices = "ARRAY[" + ",".join(p for _, _, _, p in SKUS) + "]::numeric[]"
        timed_sql(self.conn, f"{n:,} receipts with 3 lines each", f"""
            WITH c AS (
                SELECT id, row_number() OVER () AS rn FROM accounts_customer WHERE merchant_id = {m:d} ORDER BY random() LIMIT {n:d}
            ), r AS (
                INSERT INTO loyalty_receipt (id, merchant_id, store_id, customer_id, number, purchased_at, created_at, subtotal, discount,
                    redeemed_points, redeemed_amount, total, accrued_points, applied{x_receipt.cols})
                SELECT gen_random_uuid(), {m:d}, {self.store_id:d}, c.id, 'BT-{self.run_tag}-' || c.rn, now() - random() * interval '89 days', now(),
                       0, 0, 0, 0, 0, 0, '[]'{x_receipt.vals}
                FROM c RETURNING id
            )
            INSERT INTO loyalty_receiptline (receipt_id, merchant_id, position, sku, name, category, quantity, price, amount, discount,
                redeemed_points, redeemed_amount, total, accrued_points{x_line.cols})
            SELECT r.id, {m:d}, p.k, ({skus})[1 + (p.j % 10)], 'Item', ({categories})[1 + (p.j % 10)], 1 + p.j % 3,
                   ({prices})[1 + (p.j % 10)], ({prices})[1 + (p.j % 10)] * (1 + p.j % 3), 0, 0, 0, ({prices})[1 + (p.j % 10)] * (1 + p.j % 3), 0{x_line.vals}
            FROM r CROSS JOIN LATERAL (SELECT k, (abs(hashtext(r.id::text)) + k * 7) AS j FROM generate_series(1, 3) AS k) p
        """)
        timed_sql(self.conn, "receipt totals from their lines", f"""
            UPDATE loyalty_receipt r SET subtotal = l.s, total = l.s
            FROM (SELECT receipt_id, sum(amount) AS s FROM loyalty_receiptline WHERE merchant_id = {m:d} GROUP BY receipt_id) l
            WHERE l.receipt_id = r.id AND left(r.number, 3) = 'BT-'
        """)
        self.vacuum()
        merchant = Merchant.objects.get(slug="bench")
        promotion = {"code": "backtest", "name": "Dairy -10%", "target": {"skus": [], "categories": ["dairy"]},
                     "conditions": {"categories": ["dairy"]}, "effects": [{"type": "percent_off", "value": "10"}]}
        in_window = self.conn.execute("SELECT count(*) FROM loyalty_receipt WHERE merchant_id = %s AND purchased_at >= now() - interval '90 days'",
                                      [m]).fetchone()[0]
        with self.cpu("backtest"):
            t0 = time.perf_counter()
            result = promotion_backtest(promotion_dict=promotion, merchant=merchant, days=90, now=timezone.now())
            took = time.perf_counter() - t0
        connection.close()
        log(f"  back-test over {in_window:,} receipts: {took:.2f} s; touched {result['receipts']:,}, discount {result['discount']}")
        self.details["backtest"] = {"receipts_in_window": in_window, "seconds": round(took, 2), "result": result}
        self.metric(f"promotion back-test over {in_window:,} receipts (90 days)", round(took, 2), "s", "≤ 10 s", took <= 10, key="backtest_s")

    def phase_lookup(self) -> None:
        a = self.args
        total = self.total_customers
        log(f"[7] Lookup by phone with {total:,} customers: {a.samples} sequential HTTP requests")
        rng = random.Random("lookup")
        from urllib.parse import quote

        def make(tid: int, n: int) -> Call:
            return Call("GET", "/api/v1/customers/lookup?q=" + quote(datagen.national_phone_of(rng.randint(1, total))), expect=200)

        loadgen.sequential(host=HOST, port=self.port, headers=self.headers(), make=make, count=50)  # warm
        with self.cpu("lookup_http"):
            result = loadgen.sequential(host=HOST, port=self.port, headers=self.headers(), make=make, count=a.samples)
        self.details["lookup_http"] = {"customers": total, **result.summary()}
        p95 = result.pct_ms(95)
        log(f"  HTTP p50 {result.pct_ms(50):.2f} ms, p95 {p95:.2f} ms; statuses {dict(result.statuses)}")
        self.metric(f"lookup by phone p95, {total:,} customers, HTTP", ms(p95), "ms", "≤ 5 ms", p95 is not None and p95 <= 5, key="lookup_http_p95_ms")

        self.setup_django()
        from django.db import connection

        from accounts.models import Merchant
        from accounts.selectors import customer_lookup

        merchant = Merchant.objects.get(slug="bench")
        for _ in range(50):
            customer_lookup(merchant=merchant, q=datagen.national_phone_of(rng.randint(1, total)))
        latencies, missing = [], 0
        for _ in range(a.samples * 2):
            q = datagen.national_phone_of(rng.randint(1, total))
            t0 = time.perf_counter()
            found = customer_lookup(merchant=merchant, q=q)
            latencies.append(time.perf_counter() - t0)
            missing += found is None
        connection.close()
        sel95 = percentile_ms(latencies, 95)
        self.details["lookup_selector"] = {"samples": len(latencies), "not_found": missing, "p50_ms": ms(percentile_ms(latencies, 50)), "p95_ms": ms(sel95)}
        log(f"  selector p50 {percentile_ms(latencies, 50):.3f} ms, p95 {sel95:.3f} ms (not found: {missing})")
        self.metric("lookup by phone p95, customer_lookup in-process", round(sel95, 3), "ms", "≤ 5 ms", sel95 <= 5, key="lookup_selector_p95_ms")

    def phase_tier_step(self) -> None:
        """Issue 5: what the tier step adds inside the pure calculation (target under 1 ms)."""
        a = self.args
        self.setup_django()
        from decimal import Decimal

        from accounts.models import Merchant
        from loyalty.checkout import CheckoutContext, ProgramRules, TierRules, calculate
        from loyalty.drafts import draft_parse
        from django.db import connection

        log("[8] the tier step inside calculate (20-line receipts, with and without a tier)")
        merchant = Merchant.objects.get(slug="bench")
        rng = random.Random("tier-step")
        rules = ProgramRules(accrual_percent=Decimal("5.00"), max_redeem_percent=Decimal("100.00"), point_value=Decimal("1.00"))
        gold = TierRules(code="gold", name="Gold", accrual_percent=Decimal("7.00"), max_redeem_percent=Decimal("50.00"), discount_percent=Decimal("3.00"))
        plain = CheckoutContext(currency="RUB", language="en", program=rules, has_customer=True, spendable_points=300)
        tiered = CheckoutContext(currency="RUB", language="en", program=rules, has_customer=True, spendable_points=300, tier=gold)
        drafts = [draft_parse(self.calc_body(rng), currency=merchant.currency) for _ in range(50)]
        connection.close()
        samples = {"plain": [], "tiered": []}
        for n in range(a.samples * 4):
            draft = drafts[n % len(drafts)]
            for name, ctx in (("plain", plain), ("tiered", tiered)):
                t0 = time.perf_counter()
                calculate(draft, ctx)
                samples[name].append(time.perf_counter() - t0)
        p50 = {name: percentile_ms(values, 50) for name, values in samples.items()}
        p95 = {name: percentile_ms(values, 95) for name, values in samples.items()}
        cost = max(p50["tiered"] - p50["plain"], 0.0)
        self.details["tier_step"] = {"p50_ms": p50, "p95_ms": p95, "step_cost_p50_ms": round(cost, 4)}
        log(f"  calculate p50 without a tier {p50['plain']:.3f} ms, with Gold {p50['tiered']:.3f} ms")
        self.metric("tier step cost inside calculate (p50 difference)", round(cost, 3), "ms", "< 1 ms", cost < 1, key="tier_step_ms")

    def phase_tiers_recalc(self) -> None:
        """Issue 5: recalculate_tiers over every customer (target under 60 s, set-based)."""
        total = self.total_customers
        m = self.merchant_id
        log(f"[9] recalculate_tiers over {total:,} customers")
        timed_sql(self.conn, f"{total:,} receipts over the last year", f"""
            INSERT INTO loyalty_receipt (id, merchant_id, store_id, customer_id, number, purchased_at, created_at, subtotal, discount,
                redeemed_points, redeemed_amount, total, accrued_points, applied, refunded_amount, refunded_cost, points_reversed,
                points_returned, fully_refunded)
            SELECT gen_random_uuid(), {m:d}, {self.store_id:d}, c.id, 'T-' || c.rn, now() - (random() * interval '400 days'), now(),
                   c.amount, 0, 0, 0, c.amount, 0, '[]', 0, 0, 0, 0, false
            FROM (SELECT id, row_number() OVER () AS rn, round((random() * 40000)::numeric, 2) AS amount
                  FROM accounts_customer WHERE merchant_id = {m:d}) c
        """)
        self.vacuum()
        self.setup_django()
        from django.db import connection
        from django.utils import timezone

        from accounts.models import Merchant
        from loyalty.services.tiers import tier_create, tiers_recalculate

        merchant = Merchant.objects.get(slug="bench")
        tier_create(merchant=merchant, data={"code": "silver", "name": "Silver", "rank": 2, "accrual_percent": "7.00",
                                             "entry": {"total_spend": "10000.00"}, "window_days": 365, "keep": {"total_spend": "5000.00"}})
        tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 3, "accrual_percent": "10.00",
                                             "entry": {"total_spend": "30000.00"}})
        with self.cpu("recalculate_tiers"):
            t0 = time.perf_counter()
            moved = tiers_recalculate(now=timezone.now(), merchant=merchant)
            took = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = tiers_recalculate(now=timezone.now(), merchant=merchant)
        second = time.perf_counter() - t0
        connection.close()
        log(f"  recalculate_tiers: {moved:,} customers moved in {took:.2f} s; a second run moved {again:,} in {second:.2f} s")
        self.details["recalculate_tiers"] = {"customers": total, "moved": moved, "seconds": round(took, 2), "second_run_moved": again,
                                             "second_run_seconds": round(second, 2)}
        self.metric(f"recalculate_tiers over {total:,} customers ({moved:,} moved)", round(took, 2), "s", "< 60 s", took < 60, key="tiers_recalc_s")

    # ---- other benchmark modules

    def phase_optional_modules(self) -> None:
        """Run bench/<name>.py for each name in OPTIONAL_MODULES that exists; its figures join the summary.

        Loaded from its file under a private module name (bench_<name>), never by `import <name>`: several
        names are also the application's apps. A module that fails is reported as a figure, not fatal.
        """
        import importlib.util

        for name in OPTIONAL_MODULES:
            path = BENCH_DIR / f"{name}.py"
            if not path.exists():
                continue
            log(f"[+] bench/{name}.py")
            try:
                spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                if not hasattr(module, "run"):
                    # A standalone module (its own database, data and table): run it as its own process,
                    # at the size of this run; its figures print above and in its own results file.
                    argv = [sys.executable, str(path)] + (["--quick"] if self.args.quick else [])
                    started = time.perf_counter()
                    done = subprocess.run(argv, cwd=str(ROOT))
                    self.metric(f"bench/{name}.py (its figures above)", round(time.perf_counter() - started, 1), "s", "runs",
                                done.returncode == 0, key=f"{name}.seconds")
                    continue
                returned = module.run(self)
                for item in returned or ():
                    self.metric(item.get("metric", item.get("key", name)), item.get("value"), item.get("unit", ""), item.get("target", ""),
                                item.get("met"), key=f"{name}.{item.get('key') or item.get('metric')}")
            except Exception as exc:  # one module's failure must not lose the rest of the run
                import traceback

                traceback.print_exc()
                self.metric(f"bench/{name}.py failed", f"{type(exc).__name__}: {exc}"[:200], "", "runs", False, key=f"{name}.failed")

    # ---- the whole run

    def run(self) -> int:
        a = self.args
        started = time.time()
        self.details["params"] = {k: v for k, v in vars(a).items()}
        self.details["app_dir"] = str(APP)
        self.details["git_head"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=APP if (APP / ".git").exists() else ROOT,
                                                  capture_output=True, text=True).stdout.strip()
        self.details["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
        try:
            self.setup_database()
            self.extra_columns()
            self.details["datagen"] = self.generate_customers(1, a.customers)
            self.load_customer_ids()
            if a.only == "backtest":
                # The back-test alone: its receipts go to as many of the generated customers.
                self.phase_backtest()
                self.report(started)
                return 0
            self.phase_pgbench()
            self.start_gunicorn()
            self.phase_query_counts(0)
            self.phase_promotions_setup()
            self.phase_warmup()
            self.phase_commits_http()
            self.phase_calculate()
            self.phase_query_counts(a.promotions)
            self.phase_hot_account()
            self.phase_commits_inprocess()
            self.phase_backtest()
            if a.lookup_customers > a.customers:
                self.details["datagen_lookup"] = self.generate_customers(a.customers + 1, a.lookup_customers)
            self.phase_expiry()
            self.phase_lookup()
            self.phase_tier_step()
            self.phase_tiers_recalc()
            self.phase_optional_modules()
        except BenchError as exc:
            print(f"\nbench: error: {exc}", file=sys.stderr)
            self.report(started, failed=str(exc))
            return 2
        except Exception as exc:
            import traceback

            traceback.print_exc()
            self.report(started, failed=f"{type(exc).__name__}: {exc}")
            return 1
        finally:
            self.stop_gunicorn()
            self.cleanup()
        self.report(started)
        return 0

    def cleanup(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
        if not self.args.keep_db:
            try:
                admin = pg_connect(self.admin_url, autocommit=True)
                with admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{self.pgbench_db}" WITH (FORCE)')
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def report(self, started: float, failed: str | None = None) -> None:
        took = time.time() - started
        rows = [("metric", "value", "target", "met")]
        for m in self.metrics:
            value = "—" if m["value"] is None else (f"{m['value']:,}" if isinstance(m["value"], (int, float)) else str(m["value"]))
            unit = m["unit"]
            if unit and unit not in ("x",):
                value = f"{value} {unit}"
            elif unit == "x":
                value = f"{value}x"
            met = "" if m["met"] is None else ("yes" if m["met"] else "NO")
            rows.append((m["metric"], value, m["target"] or "", met))
        widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
        line = "-+-".join("-" * w for w in widths)
        print()
        print(f"Loyalty bench — {datetime.now(dt_timezone.utc):%Y-%m-%d %H:%M UTC}, {os.cpu_count()} CPUs, PostgreSQL {self.details.get('postgres', {}).get('version', '?')}, {took:.0f} s")
        for index, row in enumerate(rows):
            print(" | ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i]) if i == 1 else str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
            if index == 0:
                print(line)
        payload = {"generated_at": datetime.now(dt_timezone.utc).isoformat(), "duration_s": round(took, 1), "failed": failed,
                   "metrics": self.metrics, "details": self.details}
        RESULTS_PATH.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"\nWritten to {RESULTS_PATH.relative_to(ROOT)}")
        # The last line: every figure beside its target, one line of JSON for scripts and CI logs.
        summary = {"bench": "loyalty", "at": payload["generated_at"], "quick": bool(self.args.quick), "failed": failed,
                   "figures": {m["key"]: {"value": m["value"], "unit": m["unit"], "target": m["target"] or None, "met": m["met"]}
                               for m in self.metrics}}
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":"), default=str), flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller, shorter run (about 2-3 minutes) to check the bench itself")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "loyalty_bench"), help="database to drop and create (default loyalty_bench)")
    parser.add_argument("--keep-db", action="store_true", help="keep the pgbench database afterwards (the bench database is always kept)")
    parser.add_argument("--customers", type=int, help="customers for the receipt phases (default 100,000)")
    parser.add_argument("--lookup-customers", type=int, help="customers in total for the lookup phase (default 1,000,000)")
    parser.add_argument("--due-lots", type=int, help="lots due to expire (default 1,000,000)")
    parser.add_argument("--duration", type=float, help="seconds per HTTP/in-process throughput phase (default 20)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    parser.add_argument("--hot-clients", type=int, default=8)
    parser.add_argument("--hot-duration", type=float)
    parser.add_argument("--inproc-threads", type=int, default=8)
    parser.add_argument("--samples", type=int, help="sequential requests for latency phases (default 1000)")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers (default 5: 2 × cores + 1)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (default 1: the work is CPU-bound, threads share the GIL)")
    parser.add_argument("--pgbench-scale", type=int, default=10)
    parser.add_argument("--promotions", type=int, default=50, help="live promotions priced by every calculate and commit (default 50)")
    parser.add_argument("--backtest-receipts", type=int, help="receipts for the promotion back-test (default 100,000)")
    parser.add_argument("--app-dir", help="serve and import the application from this directory instead of the repository "
                                          "(e.g. `git archive HEAD | tar -x -C /tmp/app` to bench the last commit)")
    parser.add_argument("--pgbench-time", type=int, help="pgbench -T seconds (default 30)")
    parser.add_argument("--only", choices=("backtest",), help="run one phase alone after the customers are generated: "
                                                               "`backtest` (give --customers at least --backtest-receipts)")
    args = parser.parse_args(argv)
    defaults = (dict(customers=20_000, lookup_customers=200_000, due_lots=200_000, duration=6, hot_duration=5, samples=300, pgbench_time=10,
                     backtest_receipts=20_000)
                if args.quick else
                dict(customers=100_000, lookup_customers=1_000_000, due_lots=1_000_000, duration=20, hot_duration=10, samples=1000, pgbench_time=30,
                     backtest_receipts=100_000))
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.customers < 2:
        parser.error("--customers must be at least 2")
    if args.only == "backtest" and args.backtest_receipts > args.customers:
        parser.error("--only backtest needs --customers of at least --backtest-receipts (one receipt per customer)")
    if args.due_lots > max(args.lookup_customers, args.customers):
        parser.error("--due-lots cannot exceed the number of customers (one due lot per customer)")
    return args


def main(argv=None) -> int:
    global APP
    args = parse_args(argv)
    if args.app_dir:
        APP = Path(args.app_dir).resolve()
        if not (APP / "manage.py").exists():
            print(f"bench: error: {APP} has no manage.py", file=sys.stderr)
            return 2
    sys.path.insert(0, str(APP))
    try:
        import psycopg  # noqa: F401
    except ImportError:
        print("bench: error: psycopg is not installed; run `make setup` first", file=sys.stderr)
        return 2
    bench = Bench(args)
    try:
        return bench.run()
    except KeyboardInterrupt:
        bench.stop_gunicorn()
        print("\nbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
