from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime


def parse_now(value: str | None) -> datetime:
    if not value:
        return timezone.now()
    moment = parse_datetime(value)
    if moment is None:
        raise CommandError(f"--now must be ISO 8601, e.g. 2027-01-01T00:00:00Z (got {value!r})")
    if timezone.is_naive(moment):
        raise CommandError("--now needs a UTC offset, e.g. 2027-01-01T00:00:00Z")
    return moment


class JobCommand(BaseCommand):
    job_name = ""

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        from loyalty.jobs import job_run

        now = parse_now(options.get("now"))
        count = job_run(name=self.job_name, now=now)
        self.stdout.write(f"{self.job_name}: {count} as of {now.isoformat()}")
