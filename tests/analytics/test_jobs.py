"""The rollup job is scheduled and recorded like loyalty's jobs."""
import pytest
from django_q.models import Schedule
from django_q.tasks import async_task

from analytics.models import RollupDay
from loyalty.models import JobRun
from tests.factories import customer_create

pytestmark = pytest.mark.django_db


def test_the_rollup_job_has_an_hourly_schedule():
    schedule = Schedule.objects.get(name="rollup_reports")
    assert schedule.func == "analytics.jobs.rollup_reports_job" and schedule.schedule_type == "H"


def test_the_job_runs_through_django_q_and_records_its_run(merchant):
    from datetime import timedelta

    from django.utils import timezone

    customer_create(merchant, at=timezone.now() - timedelta(days=3))
    async_task("analytics.jobs.rollup_reports_job", sync=True)
    run = JobRun.objects.get(name="rollup_reports")
    assert run.finished_at is not None and run.result["rows"] >= 3
    assert RollupDay.objects.filter(merchant=merchant).count() >= 3
