from django.core.management.base import BaseCommand

from loyalty.management.commands._base import parse_now


class Command(BaseCommand):
    help = "Award every badge to the customers who now meet its rule, as of --now (points once)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        from campaigns.jobs import job_run

        now = parse_now(options.get("now"))
        count = job_run(name="award_badges", now=now)
        self.stdout.write(f"award_badges: {count} as of {now.isoformat()}")
