from loyalty.management.commands._base import JobCommand


class Command(JobCommand):
    help = "Run the expire_points job once, as of --now."
    job_name = "expire_points"
