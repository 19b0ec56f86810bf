from django.core.management.base import BaseCommand

from analytics.jobs import rollup_reports_run
from loyalty.management.commands._base import parse_now


class Command(BaseCommand):
    help = "Write the report rollups of every closed day due as of --now (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        now = parse_now(options.get("now"))
        days = rollup_reports_run(now=now)
        self.stdout.write(f"rollup_reports: {days} days as of {now.isoformat()}")
