from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Segments, campaigns, triggers, draws, badges and surveys: they reach the ledger through loyalty's services."""

    name = "campaigns"
    verbose_name = "Campaigns"
    default_auto_field = "django.db.models.BigAutoField"


# Messaging (campaigns, triggers, product requests, channels) plugs in after whatever ready() above does.
_ready_before_messaging = CampaignsConfig.ready


def _ready_with_messaging(self) -> None:
    _ready_before_messaging(self)
    from campaigns import messaging_ready

    messaging_ready.register(self)


CampaignsConfig.ready = _ready_with_messaging
