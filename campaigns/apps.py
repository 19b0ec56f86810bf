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


def register_engagement() -> None:
    """Badges after each purchase and in the customer read; the draw and badge jobs' schedules."""
    from django.db.models.signals import post_migrate

    from campaigns import checkout
    from loyalty.extensions import CheckoutExtension, checkout_register, customer_read_register

    checkout_register(CheckoutExtension(name=checkout.NAME, after_commit=checkout.campaigns_after_commit, order=200))
    customer_read_register(checkout.NAME, checkout.customer_read)
    post_migrate.connect(schedules_ensure, sender=CampaignsConfig, dispatch_uid="campaigns_schedules")


def schedules_ensure(sender, using="default", **kwargs):
    """The app's recurring django-q2 schedules (campaigns.jobs.SCHEDULES), kept present after a flush too."""
    from django_q.models import Schedule

    from campaigns.jobs import SCHEDULES

    for name, func, kind in SCHEDULES:
        Schedule.objects.using(using).update_or_create(name=name, defaults={"func": func, "schedule_type": kind, "repeats": -1})


def register_screens() -> None:
    """Back-office menu entries (owners and marketers) and the portal's club section."""
    from django.utils.translation import gettext_lazy as _

    from accounts.models import Role
    from campaigns.portal import sections
    from loyalty.extensions import MenuEntry, office_menu_register

    office_menu_register(MenuEntry("segments", _("Segments"), "campaigns_office:segments", roles=(Role.OWNER, Role.MARKETER), order=56,
                                   prefix="/office/campaigns/segments/"))
    office_menu_register(MenuEntry("engagement", _("Engagement"), "campaigns_office:draws", roles=(Role.OWNER, Role.MARKETER), order=58,
                                   prefix="/office/campaigns/engagement/"))
    sections.register()


# Each part of the app appends its registration here (menus, customer read, portal sections, checkout hooks).
def register_messaging() -> None:
    """Campaigns, triggers and product requests: job schedules, menus, the counter part and the portal inbox."""
    from django.apps import apps

    from campaigns import messaging_ready

    messaging_ready.register(apps.get_app_config("campaigns"))


# Each part of the app appends its registration here (menus, customer read, portal sections, checkout hooks).
REGISTER = [
    register_segments,
    register_engagement,
    register_screens,
    register_messaging,
]
