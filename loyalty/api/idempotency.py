"""Idempotency-Key handling for state-changing POS calls (API.md "Idempotency").

The key is claimed in its own committed transaction before the work starts, so a second request
with the same key finds it at once: it waits for the first to finish and replays its response,
or gets 409 `idempotency_key_in_progress` if the first is still running after a few seconds.
The work and the stored response are written in one transaction, so a crash leaves neither;
a claim left behind by a crash is taken over after CLAIM_STALE_SECONDS. A refused request
(any 4xx) is not stored, so the client can retry it corrected with the same key.
"""
import hashlib
import json
import time
from typing import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationError
from accounts.models import Merchant
from loyalty.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
WAIT_SECONDS = 8.0
CLAIM_STALE_SECONDS = 60


def request_hash(*, endpoint: str, data) -> str:
    canonical = json.dumps({"endpoint": endpoint, "body": data}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _claim(*, merchant: Merchant, key: str, endpoint: str, digest: str) -> IdempotencyRecord | None:
    """Insert the claim; return the existing record instead if the key is taken."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(merchant=merchant, key=key, endpoint=endpoint, request_hash=digest)
        return None
    except IntegrityError:
        return IdempotencyRecord.objects.filter(merchant=merchant, key=key).first()


def idempotent_call(*, merchant: Merchant, key: str | None, endpoint: str, data, run: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """Run `run` at most once per key and body. Returns (status, body, replayed).

    Raises:
        ValidationError: the key is empty or too long.
        Conflict: idempotency_key_reused, idempotency_key_in_progress.
    """
    if key is None:
        status, body = run()
        return status, body, False
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError({"Idempotency-Key": [f"Send a key of 1 to {MAX_KEY_LENGTH} characters."]})
    digest = request_hash(endpoint=endpoint, data=data)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        existing = _claim(merchant=merchant, key=key, endpoint=endpoint, digest=digest)
        if existing is None:
            break
        if existing.request_hash != digest:
            raise Conflict("idempotency_key_reused", "This Idempotency-Key was used with a different request.")
        if existing.state == IdempotencyRecord.State.DONE:
            return existing.status_code, existing.response, True
        if (timezone.now() - existing.created_at).total_seconds() > CLAIM_STALE_SECONDS:
            # The first attempt died without finishing; its transaction wrote nothing, take over.
            IdempotencyRecord.objects.filter(pk=existing.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()
            continue
        if time.monotonic() > deadline:
            raise Conflict("idempotency_key_in_progress", "A request with this Idempotency-Key is still being processed; retry shortly.")
        time.sleep(0.05)
    try:
        with transaction.atomic():
            status, body = run()
            IdempotencyRecord.objects.filter(merchant=merchant, key=key).update(
                state=IdempotencyRecord.State.DONE, status_code=status, response=body
            )
    except Exception:
        IdempotencyRecord.objects.filter(merchant=merchant, key=key, state=IdempotencyRecord.State.IN_PROGRESS).delete()
        raise
    return status, body, False


def idempotency_purge(*, older_than) -> int:
    """Forget keys older than `older_than` (kept at least 24 hours, API.md)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=older_than).delete()
    return deleted
