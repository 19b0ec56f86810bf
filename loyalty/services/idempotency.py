"""Idempotency-Key handling for state-changing POS calls (docs/api.md "Idempotency").

The key is claimed, the work done and the response stored in ONE transaction:
- the claim is an INSERT … ON CONFLICT DO NOTHING on (merchant, key). A second request with the
  same key waits on that insert until the first transaction ends; if the first committed, the
  second finds the stored response and replays it (or refuses another body with 409
  `idempotency_key_reused`); if the first rolled back, the second claims the key and runs.
- a refused request (4xx) rolls back with its claim, so it is not stored and may be retried
  corrected with the same key; a crash leaves nothing behind either.
One commit per request, and no window in which a key is claimed but its work is not visible.

A service: the POS API and the counter run their writes through `idempotent_call`, and the job
module forgets old keys with `idempotency_purge`; neither the jobs nor any other core module import
a surface for it.
"""
import hashlib
import json
from typing import Callable

from django.db import connection, transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationError
from accounts.models import Merchant
from loyalty.models import IdempotencyRecord

MAX_KEY_LENGTH = 255


def request_hash(*, endpoint: str, data) -> str:
    canonical = json.dumps({"endpoint": endpoint, "body": data}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_call(*, merchant: Merchant, key: str | None, endpoint: str, data, run: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """Run `run` at most once per key and body. Returns (status, body, replayed).

    Raises:
        ValidationError: the key is empty or too long.
        Conflict: idempotency_key_reused; idempotency_key_in_progress (only if a stored claim was
            left without a response, which one transaction per request should make impossible).
    """
    if key is None:
        with transaction.atomic():
            status, body = run()
        return status, body, False
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"Idempotency-Key": [f"Send a key of 1 to {MAX_KEY_LENGTH} characters."]})
    digest = request_hash(endpoint=endpoint, data=data)
    with transaction.atomic():
        claimed = _claim(merchant=merchant, key=key, endpoint=endpoint, digest=digest)
        if claimed is None:
            record = IdempotencyRecord.objects.filter(merchant=merchant, key=key).first()
            if record is None or record.request_hash != digest:
                raise Conflict("idempotency_key_reused", "This Idempotency-Key was used with a different request.")
            if record.state == IdempotencyRecord.State.DONE:
                return record.status_code, record.response, True
            raise Conflict("idempotency_key_in_progress", "A request with this Idempotency-Key is still being processed; retry shortly.")
        status, body = run()
        IdempotencyRecord.objects.filter(pk=claimed).update(state=IdempotencyRecord.State.DONE, status_code=status, response=body)
    return status, body, False


def _claim(*, merchant: Merchant, key: str, endpoint: str, digest: str) -> int | None:
    """Insert the claim and return its id, or None when the key is already taken (after waiting
    for a concurrent holder's transaction to end). One round trip on PostgreSQL and SQLite alike."""
    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (merchant_id, key, endpoint, request_hash, state, created_at) VALUES (%s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (merchant_id, key) DO NOTHING RETURNING id",
            [merchant.pk, key, endpoint, digest, IdempotencyRecord.State.IN_PROGRESS,
             connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def idempotency_purge(*, older_than) -> int:
    """Forget keys older than `older_than` (kept at least 24 hours, docs/api.md)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=older_than).delete()
    return deleted
