"""The campaigns app's models; each part of the app keeps its own module here."""
from campaigns.models.bonuses import SegmentBonus
from campaigns.models.segments import Segment

__all__ = ["Segment", "SegmentBonus"]
