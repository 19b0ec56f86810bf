from django.core.management.base import BaseCommand

from loyalty.management.commands._base import parse_now


class Command(BaseCommand):
    help = "Send the automatic messages (welcome, first purchase, birthday, win-back, tier reached, category purchase) due as of --now."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Run as of this ISO 8601 moment (default: now)")

    def handle(self, *args, **options):
        from campaigns.triggering import triggers_run

        now = parse_now(options.get("now"))
        self.stdout.write(f"run_triggers: {triggers_run(now=now)} as of {now.isoformat()}")
