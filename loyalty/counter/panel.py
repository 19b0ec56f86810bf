"""loyalty's own parts of the counter's customer panel, registered like any app's
(LoyaltyConfig.ready()). They read what the counter views already put in the context (customer,
tier, balance, expiring, recent), so they add no context of their own."""
from loyalty.extensions import PanelPart, counter_panel_register


def register() -> None:
    for part in (
        PanelPart("identity", "counter/panel/_identity.html", order=10),
        PanelPart("balance", "counter/panel/_balance.html", order=20),
        PanelPart("expiring", "counter/panel/_expiring.html", order=30),
        PanelPart("recent", "counter/panel/_recent.html", order=90),
    ):
        counter_panel_register(part)
