from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Segments, campaigns, triggers, draws, badges and surveys: they reach the ledger through loyalty's services."""

    name = "campaigns"
    verbose_name = "Campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Plug into promotions (segment audiences) and loyalty's registries; each part registers in its own function."""
        for register in REGISTER:
            register()


def register_segments() -> None:
    """Promotions may name a segment in their audience: campaigns answers who is in it."""
    from campaigns import selectors
    from promotions.audience import SegmentResolver, segment_resolver_register

    segment_resolver_register(SegmentResolver(known=selectors.segment_codes_known, holding=selectors.segment_members_of))


# Each part of the app appends its registration here (menus, customer read, portal sections, checkout hooks).
REGISTER = [
    register_segments,
]
