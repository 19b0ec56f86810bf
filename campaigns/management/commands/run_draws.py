from django.core.management.base import BaseCommand

from loyalty.management.commands._base import parse_now


class Command(BaseCommand):
    help = "Run every prize draw whose moment has come, as of --now (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        from campaigns.jobs import job_run

        now = parse_now(options.get("now"))
        count = job_run(name="run_draws", now=now)
        self.stdout.write(f"run_draws: {count} as of {now.isoformat()}")
