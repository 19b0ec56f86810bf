"""The campaigns app's models; each part of the app keeps its own module here."""
from campaigns.models.bonuses import SegmentBonus
from campaigns.models.draws import Draw, DrawParticipant
from campaigns.models.engagement import Badge, CustomerBadge, LeaderboardOptIn, LeaderboardSettings, SurveyResponse
from campaigns.models.segments import Segment

__all__ = ["Badge", "CustomerBadge", "Draw", "DrawParticipant", "LeaderboardOptIn", "LeaderboardSettings", "Segment",
           "SegmentBonus", "SurveyResponse"]
