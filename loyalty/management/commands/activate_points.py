from loyalty.management.commands._base import JobCommand


class Command(JobCommand):
    help = "Run the activate_points job once, as of --now."
    job_name = "activate_points"
