from django.core.management.base import BaseCommand

from loyalty.management.commands._base import parse_now


class Command(BaseCommand):
    help = "Send scheduled campaigns that are due and finish those being sent, as of --now (the job the worker runs every minute)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        from campaigns.mailing import campaigns_due

        now = parse_now(options.get("now"))
        self.stdout.write(f"send_campaigns: {campaigns_due(now=now)} as of {now.isoformat()}")
