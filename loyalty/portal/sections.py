"""loyalty's own sections of the portal home, registered like any app's (LoyaltyConfig.ready()).
They read what the portal home view already puts in the context, so they add none of their own."""
from loyalty.extensions import PortalSection, portal_section_register


def register() -> None:
    for section in (
        PortalSection("messages", "portal/partials/_messages.html", order=10),
        PortalSection("balance", "portal/sections/_balance.html", order=20),
        PortalSection("tier", "portal/partials/_tier.html", order=30),
        PortalSection("card", "portal/sections/_card.html", order=40),
        PortalSection("history", "portal/sections/_history.html", order=90),
    ):
        portal_section_register(section)
