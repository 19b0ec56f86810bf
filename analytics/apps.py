from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Reports and their rollups: reads the other apps through their selectors; nothing imports it."""

    name = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"
