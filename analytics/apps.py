from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnalyticsConfig(AppConfig):
    """Reports and their rollups: reads the other apps through their selectors; nothing imports it."""

    name = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from accounts.models import Role
        from loyalty.extensions import MenuEntry, office_menu_register

        office_menu_register(MenuEntry("reports", _("Reports"), "analytics_office:economics", roles=(Role.OWNER, Role.MARKETER),
                                       order=15, prefix="/office/reports/"))
        post_migrate.connect(schedules_ensure, sender=self)


def schedules_ensure(sender, using="default", **kwargs):
    """Keep the rollup job's django-q2 schedule present, also after a database flush."""
    from django_q.models import Schedule

    from analytics.jobs import SCHEDULES

    for name, func, kind, minutes in SCHEDULES:
        Schedule.objects.using(using).update_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "minutes": minutes, "repeats": -1})
