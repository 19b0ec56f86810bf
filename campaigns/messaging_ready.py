"""What messaging registers from CampaignsConfig.ready(): its job schedules and its screens."""
from django.db.models.signals import post_migrate


def register(config) -> None:
    from campaigns.messaging_jobs import schedules_ensure

    post_migrate.connect(schedules_ensure, sender=config, dispatch_uid="campaigns_messaging_schedules")
