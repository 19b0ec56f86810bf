"""Scheduled jobs. django-q2 calls the `*_job` functions; the management commands call `job_run`.

Each job is a set-based service run "as of" a moment and safe to run twice; a JobRun row records
what it did.
"""
from datetime import datetime, timedelta

from django.utils import timezone

from loyalty.api.idempotency import idempotency_purge
from loyalty.models import JobRun
from loyalty.services import points_activate, points_expire


def _purge_idempotency(*, now: datetime) -> int:
    return idempotency_purge(older_than=now - timedelta(days=2))


# Order matters for run_jobs: points activate before expiry, so a lot both due to activate and
# to expire is recorded as active then expired.
JOBS = {
    "activate_points": points_activate,
    "expire_points": points_expire,
    "purge_idempotency_keys": _purge_idempotency,
}


def job_run(*, name: str, now: datetime | None = None) -> int:
    now = now or timezone.now()
    run = JobRun.objects.create(name=name, as_of=now)
    count = JOBS[name](now=now)
    run.finished_at = timezone.now()
    run.result = {"rows": count}
    run.save(update_fields=["finished_at", "result"])
    return count


def expire_points_job() -> int:
    return job_run(name="expire_points")


def activate_points_job() -> int:
    return job_run(name="activate_points")


def purge_idempotency_job() -> int:
    return job_run(name="purge_idempotency_keys")
