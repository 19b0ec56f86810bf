"""Scheduled ledger jobs: expiry, activation, idempotency-key purge; run as of a moment, safe twice."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import async_task

from loyalty.jobs import JOBS, job_run
from loyalty.models import Entry, IdempotencyRecord, JobRun, Lot
from loyalty.selectors import balance_get
from loyalty.services import receipt_commit
from tests.factories import MerchantFactory, assert_ledger_consistent, customer_create, draft, program_set

NOW = timezone.now().replace(microsecond=0)


def balance(customer):
    b = balance_get(merchant=customer.merchant, customer=customer)
    return b.available, b.pending


def test_expire_points_writes_one_entry_per_lot_and_records_the_run(merchant):
    # given three customers across two merchants whose welcome bonuses end on the same day
    other = MerchantFactory()
    customers = [customer_create(merchant, at=NOW - timedelta(days=20)) for _ in range(2)] + [customer_create(other, at=NOW - timedelta(days=20))]
    fresh = customer_create(merchant, at=NOW)

    # when the job runs
    count = job_run(name="expire_points", now=NOW)

    # then each lot that ended gets exactly one expiry entry; the fresh bonus is untouched
    assert count == 3
    assert list(Entry.objects.filter(kind="expiry").order_by("customer_id").values_list("points", flat=True)) == [-300, -300, -300]
    assert all(balance(c) == (0, 0) for c in customers)
    assert balance(fresh) == (300, 0)
    run = JobRun.objects.get(name="expire_points")
    assert (run.as_of, run.result) == (NOW, {"rows": 3})
    assert run.finished_at is not None
    for customer in customers + [fresh]:
        assert_ledger_consistent(customer)


def test_expire_points_twice_with_the_same_now_changes_nothing_the_second_time(merchant):
    customer = customer_create(merchant, at=NOW - timedelta(days=20))
    job_run(name="expire_points", now=NOW)
    lots = list(Lot.objects.values_list("id", "remaining", "expired_points", "expired_at"))

    assert job_run(name="expire_points", now=NOW) == 0
    assert job_run(name="expire_points", now=NOW + timedelta(days=1)) == 0

    assert Entry.objects.filter(kind="expiry").count() == 1
    assert list(Lot.objects.values_list("id", "remaining", "expired_points", "expired_at")) == lots
    assert JobRun.objects.filter(name="expire_points").count() == 3
    assert_ledger_consistent(customer)


def test_expiry_entries_are_written_in_the_merchants_language(db):
    english = MerchantFactory(language="en")
    russian = MerchantFactory(language="ru")
    a = customer_create(english, at=NOW - timedelta(days=20))
    b = customer_create(russian, at=NOW - timedelta(days=20))

    job_run(name="expire_points", now=NOW)

    assert Entry.objects.get(customer=a, kind="expiry").description == "Points expired"
    assert Entry.objects.get(customer=b, kind="expiry").description != ""


def test_activate_points_makes_due_pending_points_available(merchant):
    program_set(merchant, pending_days=14)
    customer = customer_create(merchant, at=NOW)
    receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                   draft=draft(("TV", "1", "1000.00"), purchased_at=NOW), number="1", now=NOW)
    assert balance(customer) == (300, 50)

    assert job_run(name="activate_points", now=NOW + timedelta(days=14)) == 1
    assert job_run(name="activate_points", now=NOW + timedelta(days=14)) == 0

    assert balance(customer) == (350, 0)
    assert_ledger_consistent(customer)


def test_a_lot_due_to_activate_and_expire_is_activated_then_expired_in_one_run(merchant):
    program_set(merchant, pending_days=5, points_ttl_days=3, welcome_bonus=0)
    customer = customer_create(merchant, at=NOW)
    receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                   draft=draft(("TV", "1", "1000.00"), purchased_at=NOW), number="1", now=NOW)

    for name in JOBS:
        job_run(name=name, now=NOW + timedelta(days=6))

    lot = Lot.objects.get(customer=customer)
    assert (lot.is_pending, lot.remaining, lot.expired_points) == (False, 0, 50)
    assert balance(customer) == (0, 0)
    assert_ledger_consistent(customer)


def test_purge_forgets_idempotency_keys_older_than_two_days(merchant):
    old = IdempotencyRecord.objects.create(merchant=merchant, key="old", endpoint="x", request_hash="h", created_at=NOW - timedelta(days=3))
    day_old = IdempotencyRecord.objects.create(merchant=merchant, key="day", endpoint="x", request_hash="h", created_at=NOW - timedelta(hours=25))

    assert job_run(name="purge_idempotency_keys", now=NOW) == 1

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["day"]
    assert not IdempotencyRecord.objects.filter(pk=old.pk).exists()
    assert day_old.pk


def test_every_job_is_scheduled_for_the_worker(db):
    schedules = {s.name: s.func for s in Schedule.objects.all()}

    assert {name: schedules.get(name) for name in JOBS} == {
        "activate_points": "loyalty.jobs.activate_points_job",
        "expire_points": "loyalty.jobs.expire_points_job",
        "purge_idempotency_keys": "loyalty.jobs.purge_idempotency_job",
        "recalculate_tiers": "loyalty.jobs.recalculate_tiers_job",
    }
    for func in schedules.values():
        assert callable(import_string(func))


def test_the_expiry_task_runs_through_django_q(merchant):
    customer = customer_create(merchant, at=timezone.now() - timedelta(days=20))

    async_task("loyalty.jobs.expire_points_job", sync=True)

    assert balance(customer) == (0, 0)
    assert JobRun.objects.filter(name="expire_points").count() == 1


@pytest.mark.parametrize("name", list(JOBS))
def test_every_job_runs_on_an_empty_database(db, name):
    assert job_run(name=name, now=NOW) == 0
