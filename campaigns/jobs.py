"""django-q2 entry points of the campaigns app; each one calls a service. Each recurring job is also a
command with `--now` (run_draws, award_badges)."""
from datetime import datetime

from django.utils import timezone

# (schedule name, django-q2 function, schedule type): created on post_migrate (campaigns.apps).
SCHEDULES = [
    ("run_draws", "campaigns.jobs.run_draws_job", "H"),
    ("award_badges", "campaigns.jobs.award_badges_job", "D"),
]


def draws_due(*, now: datetime) -> int:
    from campaigns.services.draws import draws_run_due

    return draws_run_due(now=now)


def badges_due(*, now: datetime) -> int:
    from campaigns.services.badges import badges_award

    return badges_award(now=now)


JOBS = {"run_draws": draws_due, "award_badges": badges_due}


def job_run(*, name: str, now: datetime | None = None) -> int:
    """Run one of JOBS as of `now`, recorded as a loyalty JobRun like the core's jobs."""
    from loyalty.models import JobRun

    now = now or timezone.now()
    run = JobRun.objects.create(name=name, as_of=now)
    count = JOBS[name](now=now)
    run.finished_at = timezone.now()
    run.result = {"rows": count}
    run.save(update_fields=["finished_at", "result"])
    return count


def draw_run_job(draw_id: int) -> int:
    """Run one draw at its moment (scheduled once at creation); a finished draw is left as it is."""
    from campaigns.models import Draw
    from campaigns.services.draws import draw_run

    draw = Draw.objects.filter(pk=draw_id).first()
    if draw is None or draw.status == Draw.Status.DONE:
        return 0
    draw_run(draw=draw, now=max(timezone.now(), draw.draw_at))
    return 1


def run_draws_job() -> int:
    return job_run(name="run_draws")


def award_badges_job() -> int:
    return job_run(name="award_badges")
