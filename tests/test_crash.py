"""Nothing is lost or doubled when the server dies mid-load (PostgreSQL).

gunicorn serves the app on loopback; client threads commit receipts (some paying with points) and
return them, each request with its own Idempotency-Key. Mid-load gunicorn and its workers are killed
with SIGKILL and started again; every request that got no answer is sent again with the same key and
body until it is answered. Then every receipt exists exactly once, every return exactly once, and the
ledger adds up for every customer (entries = lot remainders - debt).
"""
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import Store
from loyalty.models import IdempotencyRecord, Receipt, Refund
from loyalty.services import points_adjust
from tests.factories import api_key, assert_ledger_consistent, customer_create

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CLIENTS = 4
OPERATIONS_PER_CLIENT = 30
KILLS = 2

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on loopback against the test database, killable with SIGKILL and restartable on its port."""

    def __init__(self):
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{db['NAME']}",
            "DEBUG": "0", "SECRET_KEY": "crash-test-" + "x" * 50, "ALLOWED_HOSTS": HOST, "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "CRITICAL", "DJANGO_SETTINGS_MODULE": "loyalty.settings",
        }
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "loyalty.wsgi", "-w", "2", "-k", "sync", "-b", f"{HOST}:{self.port}", "--graceful-timeout", "1",
             "--log-level", "critical"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start within 45 s")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: requests in flight get no answer."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)


class Till(threading.Thread):
    """One POS: commits and returns, every request retried with its key and body until answered."""

    def __init__(self, index: int, port: int, secret: str, customers: list[str], stop_at: float):
        super().__init__(daemon=True)
        self.index, self.port, self.secret, self.customers, self.stop_at = index, port, secret, customers, stop_at
        self.rng = random.Random(index)
        self.committed: dict[str, str] = {}  # number -> receipt id
        self.refunded: dict[str, int] = {}  # receipt id -> returns answered
        self.retries = 0
        self.failure: str | None = None

    def send(self, path: str, body: dict) -> tuple[int, dict]:
        key = uuid.uuid4().hex
        payload = json.dumps(body)
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json", "Accept": "application/json",
                   "X-Forwarded-Proto": "https", "Idempotency-Key": key}
        while time.monotonic() < self.stop_at:
            conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
            try:
                conn.request("POST", path, payload, headers)
                response = conn.getresponse()
                status, data = response.status, response.read()
            except (OSError, http.client.HTTPException):
                status, data = None, b""
            finally:
                conn.close()
            if status is None or status >= 500 or (status == 409 and b"idempotency_key_in_progress" in data):
                self.retries += 1  # no answer (or the server went down mid-way): the same key and body again
                time.sleep(0.1)
                continue
            return status, json.loads(data)
        raise AssertionError(f"{path} was never answered")

    def run(self) -> None:
        try:
            for n in range(OPERATIONS_PER_CLIENT):
                if self.committed and self.rng.random() < 0.3:
                    receipt_id = self.rng.choice(list(self.committed.values()))
                    if self.refunded.get(receipt_id, 0) < 2:
                        status, body = self.send(f"/api/v1/receipts/{receipt_id}/refund",
                                                 {"lines": [{"sku": "MILK-1", "quantity": "1"}]})
                        assert status == 200, (status, body)
                        self.refunded[receipt_id] = self.refunded.get(receipt_id, 0) + 1
                        continue
                number = f"T{self.index}-{n}"
                body = {"customer": self.rng.choice(self.customers), "number": number,
                        "lines": [{"sku": "MILK-1", "quantity": "2", "price": "89.90"}, {"sku": "BREAD", "quantity": "1", "price": "54.50"}]}
                if self.rng.random() < 0.5:
                    body["redeem_points"] = self.rng.randint(1, 40)
                status, answer = self.send("/api/v1/receipts", body)
                assert status == 201, (status, answer)
                self.committed[number] = answer["id"]
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.failure = repr(exc)


def test_killing_the_server_mid_load_loses_and_doubles_nothing(merchant):
    _key, secret = api_key(merchant)
    customers = [customer_create(merchant) for _ in range(5)]
    for customer in customers:
        points_adjust(customer=customer, points=100_000, reason="crash test balance", staff=None)
    ids = [str(customer.pk) for customer in customers]
    server = Server()
    server.start()
    try:
        stop_at = time.monotonic() + 50
        tills = [Till(i, server.port, secret, ids, stop_at) for i in range(CLIENTS)]
        for till in tills:
            till.start()
        for _ in range(KILLS):
            time.sleep(2.0)  # under load
            server.kill()
            time.sleep(0.5)
            server.start()
        for till in tills:
            till.join(timeout=max(stop_at - time.monotonic(), 0) + 15)
    finally:
        server.kill()

    assert [till.failure for till in tills] == [None] * CLIENTS
    assert all(not till.is_alive() for till in tills)
    store = Store.objects.get(merchant=merchant, code="main")
    committed = {number: receipt_id for till in tills for number, receipt_id in till.committed.items()}
    assert len(committed) >= CLIENTS * OPERATIONS_PER_CLIENT // 2
    # Every receipt exactly once (the numbers are unique per store, so the count tells doubles and losses apart).
    stored = dict(Receipt.objects.filter(merchant=merchant, store=store).values_list("number", "id"))
    assert {number: str(receipt_id) for number, receipt_id in stored.items()} == committed
    # Every return exactly once.
    answered = {}
    for till in tills:
        for receipt_id, count in till.refunded.items():
            answered[receipt_id] = answered.get(receipt_id, 0) + count
    for receipt_id, count in answered.items():
        assert Refund.objects.filter(receipt_id=receipt_id).count() == count, receipt_id
    assert Refund.objects.filter(receipt__merchant=merchant).count() == sum(answered.values())
    # Every answered key is stored done; nothing is left claimed and unfinished.
    assert not IdempotencyRecord.objects.filter(merchant=merchant).exclude(state=IdempotencyRecord.State.DONE).exists()
    for customer in customers:
        assert_ledger_consistent(customer)
    # The kills did land mid-load: some requests went unanswered and were sent again.
    assert sum(till.retries for till in tills) > 0
