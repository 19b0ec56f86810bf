"""loyalty's own back-office menu entries, registered like any app's (LoyaltyConfig.ready()).
Orders leave gaps of 10 so other apps can place their entries between these."""
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from loyalty.extensions import MenuEntry, office_menu_register


def register() -> None:
    for entry in (
        MenuEntry("dashboard", _("Dashboard"), "office:dashboard", order=10, exact=True),
        MenuEntry("customers", _("Customers"), "office:customers", order=20),
        MenuEntry("receipts", _("Receipts"), "office:receipts", order=30),
        MenuEntry("program", _("Program"), "office:program", order=40),
        MenuEntry("tiers", _("Tiers"), "office:tiers", order=50),
        MenuEntry("stores", _("Stores"), "office:stores", order=60),
        MenuEntry("staff", _("Staff"), "office:staff", roles=(Role.OWNER,), order=70),
        MenuEntry("api_keys", _("API keys"), "office:api_keys", roles=(Role.OWNER,), order=80),
        MenuEntry("audit", _("Audit log"), "office:audit", order=90),
        # Settings (owner): importing a customer base, and the webhooks of the merchant's systems.
        MenuEntry("settings", _("Settings"), "office:imports", roles=(Role.OWNER,), order=95, prefix="/office/settings/"),
        # The way to the till; never marked current in the back-office.
        MenuEntry("counter", _("Counter"), "counter:home", roles=(Role.OWNER,), order=1000),
    ):
        office_menu_register(entry)
