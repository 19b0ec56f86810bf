"""What messaging registers from CampaignsConfig.ready(): its job schedules and its screens."""
from django.db.models.signals import post_migrate


def register(config) -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts.models import Role
    from campaigns.messaging_jobs import schedules_ensure
    from loyalty.extensions import MenuEntry, PanelPart, PortalSection, counter_panel_register, office_menu_register, portal_section_register

    post_migrate.connect(schedules_ensure, sender=config, dispatch_uid="campaigns_messaging_schedules")
    roles = (Role.OWNER, Role.MARKETER)
    office_menu_register(MenuEntry("campaigns", _("Campaigns"), "messaging_office:campaigns", roles=roles, order=57))
    office_menu_register(MenuEntry("triggers", _("Triggers"), "messaging_office:triggers", roles=roles, order=58))
    office_menu_register(MenuEntry("product_requests", _("Product requests"), "messaging_office:requests", roles=roles, order=59))
    counter_panel_register(PanelPart("product_request", "campaigns/counter/_request.html", order=80))
    portal_section_register(PortalSection("inbox", "campaigns/portal/_inbox.html", context=inbox_context, order=12))


def inbox_context(request, customer) -> dict:
    """The portal inbox: the unread count (the unread messages themselves are listed, with Dismiss, by loyalty's messages section) and the Web Push switch."""
    from loyalty.selectors import customer_messages_recent

    merchant = getattr(request, "merchant", None)
    if customer is None or merchant is None or customer.merchant_id != merchant.pk:
        return {"inbox": [], "inbox_unread": 0, "vapid_key": ""}
    from django.conf import settings

    recent, unread = customer_messages_recent(merchant=merchant, customer=customer, limit=5)
    vapid = getattr(settings, "VAPID_PUBLIC_KEY", "") if customer.consent_push else ""
    return {"inbox": recent, "inbox_unread": unread, "vapid_key": vapid}
