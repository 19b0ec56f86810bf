"""The campaigns app's models; each part of the app keeps its own module here."""
from campaigns.models.bonuses import SegmentBonus
from campaigns.models.draws import Draw, DrawParticipant
from campaigns.models.engagement import Badge, CustomerBadge, LeaderboardOptIn, LeaderboardSettings, SurveyResponse
from campaigns.models.segments import Segment
from campaigns.models.campaigns import Campaign
from campaigns.models.messaging import CHANNELS, Channel, Delivery, PushSubscription
from campaigns.models.requests import ProductRequest
from campaigns.models.triggers import Trigger

__all__ = ["Badge", "CustomerBadge", "Draw", "DrawParticipant", "LeaderboardOptIn", "LeaderboardSettings", "Segment",
           "SegmentBonus", "SurveyResponse",
           "Campaign", "CHANNELS", "Channel", "Delivery", "PushSubscription", "ProductRequest", "Trigger"]
