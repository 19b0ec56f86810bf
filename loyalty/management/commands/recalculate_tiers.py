from loyalty.management.commands._base import JobCommand


class Command(JobCommand):
    help = "Run the recalculate_tiers job once, as of --now: downgrades, ended overrides, tiers reached without a purchase."
    job_name = "recalculate_tiers"
