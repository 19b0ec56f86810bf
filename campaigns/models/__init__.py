"""The campaigns app's models; each part of the app keeps its own module here."""
from campaigns.models.campaigns import Campaign  # noqa: E402,F401
from campaigns.models.messaging import CHANNELS, Channel, Delivery, PushSubscription  # noqa: E402,F401
from campaigns.models.requests import ProductRequest  # noqa: E402,F401
from campaigns.models.triggers import Trigger  # noqa: E402,F401
