from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = "Loyalty program"

    def ready(self):
        from loyalty.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from loyalty.counter import panel
        from loyalty.office import menu
        from loyalty.portal import sections

        # loyalty's own screens go through the same registries other apps use (loyalty.extensions).
        menu.register()
        panel.register()
        sections.register()

        post_migrate.connect(schedules_ensure, sender=self)


def schedules_ensure(sender, using="default", **kwargs):
    """Keep the django-q2 schedules of every job present, also after a database flush."""
    from django_q.models import Schedule

    from loyalty.jobs import SCHEDULES

    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.using(using).update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1}
        )
