from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Segments, campaigns, triggers, draws, badges and surveys: they reach the ledger through loyalty's services."""

    name = "campaigns"
    verbose_name = "Campaigns"
    default_auto_field = "django.db.models.BigAutoField"
