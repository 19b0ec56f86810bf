"""django-q2 entry points of messaging: sending campaigns and running triggers. Each calls a service."""
from django.utils import timezone

# (schedule name, function, schedule type, minutes): created on post_migrate by CampaignsConfig.
SCHEDULES = [
    ("send_campaigns", "campaigns.messaging_jobs.send_campaigns_job", "I", 1),
    ("run_triggers", "campaigns.messaging_jobs.run_triggers_job", "I", 60),
]


def campaign_send_job(campaign_id: int) -> dict:
    from campaigns.mailing import campaign_run
    from campaigns.models import Campaign

    campaign = Campaign.objects.select_related("merchant").filter(pk=campaign_id).first()
    if campaign is None:
        return {}
    return campaign_run(campaign=campaign)


def send_campaigns_job() -> int:
    from campaigns.mailing import campaigns_due

    return campaigns_due(now=timezone.now())


def run_triggers_job() -> int:
    from campaigns.triggering import triggers_run

    return triggers_run(now=timezone.now())


def schedules_ensure(sender=None, using="default", **kwargs):
    from django_q.models import Schedule

    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.using(using).update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1})
