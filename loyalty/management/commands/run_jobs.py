from django.core.management.base import BaseCommand

from loyalty.management.commands._base import parse_now


class Command(BaseCommand):
    help = "Run every scheduled job once, as of --now."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        from loyalty.jobs import JOBS, job_run

        now = parse_now(options.get("now"))
        for name in JOBS:
            count = job_run(name=name, now=now)
            self.stdout.write(f"{name}: {count}")
