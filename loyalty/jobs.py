"""Scheduled jobs. django-q2 calls the `*_job` functions; the management commands call `job_run`.

Each job is a set-based service run "as of" a moment and safe to run twice; a JobRun row records
what it did.
"""
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from django.core.mail import get_connection, send_mail
from loyalty.services.idempotency import idempotency_purge
from loyalty.models import CustomerMessage, JobRun
from loyalty.services import points_activate, points_expire
from loyalty.services import webhooks
from loyalty.services.tiers import tiers_recalculate
from loyalty.texts import message_title_body


def _purge_idempotency(*, now: datetime) -> int:
    return idempotency_purge(older_than=now - timedelta(days=2))


def _expire_points(*, now: datetime) -> int:
    """Expire points and, in the same transaction, write one `points.expired` webhook event per
    customer whose points expired (only for merchants listening for it)."""
    with transaction.atomic():
        count = points_expire(now=now)
        if count:
            webhooks.points_expired_emit(now=now)
    return count


# Order matters for run_jobs: points activate before expiry, so a lot both due to activate and
# to expire is recorded as active then expired.
JOBS = {
    "activate_points": points_activate,
    "expire_points": _expire_points,
    "recalculate_tiers": tiers_recalculate,
    "purge_idempotency_keys": _purge_idempotency,
}


# (schedule name, django-q2 function, schedule type, minutes): created by migrations and on post_migrate.
SCHEDULES = [
    ("activate_points", "loyalty.jobs.activate_points_job", "I", 15),
    ("expire_points", "loyalty.jobs.expire_points_job", "H", None),
    ("recalculate_tiers", "loyalty.jobs.recalculate_tiers_job", "D", None),
    ("purge_idempotency_keys", "loyalty.jobs.purge_idempotency_job", "D", None),
    # The sweeper: webhook deliveries whose retry is due (each commit also queues one run).
    ("deliver_webhooks", "loyalty.jobs.deliver_webhooks_job", "I", 1),
    # Imports queued but not started (a worker that died mid-queue); each upload also queues its own run.
    ("run_imports", "loyalty.jobs.run_imports_job", "I", 5),
]


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


def recalculate_tiers_job() -> int:
    return job_run(name="recalculate_tiers")


def deliver_webhooks_job(event_ids: list[int] | None = None) -> int:
    """Fan out the webhook outbox and POST what is due: the given events (queued by a commit) or,
    as the sweeper every minute, everything. No JobRun row: it runs too often to be news."""
    return webhooks.webhooks_deliver(event_ids=event_ids)


def import_run_job(import_id: str) -> int:
    from loyalty.services.imports import import_run

    return import_run(import_id=import_id)


def run_imports_job() -> int:
    from loyalty.services.imports import imports_run_queued

    return imports_run_queued()


def _email_messages(messages) -> int:
    """Email each message to its customer, in the customer's language (else the merchant's), over
    one SMTP connection; mark them sent."""
    sent = []
    with get_connection() as connection:
        for message in messages:
            customer = message.customer
            title, body = message_title_body(message, language=customer.language or customer.merchant.language)
            send_mail(title, body, None, [customer.email], connection=connection)
            sent.append(message.pk)
    CustomerMessage.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
    return len(sent)


def _consenting(queryset):
    return (
        queryset.filter(emailed_at__isnull=True, customer__consent_email=True).exclude(customer__email="")
        .select_related("customer", "customer__merchant")
    )


def customer_messages_email(message_ids: list[int]) -> int:
    """Send the given portal messages by email to customers who consented. Safe to run twice."""
    return _email_messages(_consenting(CustomerMessage.objects.filter(pk__in=message_ids)))


def customer_messages_email_run(merchant_id: int, at_iso: str) -> int:
    """Send the messages a job run wrote at `at_iso` for one merchant, in batches."""
    from django.utils.dateparse import parse_datetime

    at = parse_datetime(at_iso)
    pending = _consenting(CustomerMessage.objects.filter(merchant_id=merchant_id, at=at)).order_by("pk")
    total = 0
    while True:
        batch = list(pending[:500])
        if not batch:
            return total
        total += _email_messages(batch)
