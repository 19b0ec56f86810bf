"""django-q2 entry points of analytics: the daily rollups (also `manage.py rollup_reports --now`)."""
from django.utils import timezone

from analytics.rollups import rollups_run
from loyalty.models import JobRun

# (schedule name, django-q2 function, schedule type, minutes), kept present on post_migrate.
SCHEDULES = [("rollup_reports", "analytics.jobs.rollup_reports_job", "H", None)]


def rollup_reports_run(*, now=None) -> int:
    now = now or timezone.now()
    run = JobRun.objects.create(name="rollup_reports", as_of=now)
    days = rollups_run(now=now)
    run.finished_at = timezone.now()
    run.result = {"rows": days}
    run.save(update_fields=["finished_at", "result"])
    return days


def rollup_reports_job() -> int:
    return rollup_reports_run()
