"""The API's idempotency handling lives in loyalty.services.idempotency (the counter and the jobs use
it too); these names stay importable from here for API code."""
from loyalty.services.idempotency import MAX_KEY_LENGTH, idempotency_purge, idempotent_call, request_hash  # noqa: F401
