"""The analytics app's models; each part of the app keeps its own module here."""
from analytics.models.rollups import CustomerDays, PointsDay, RollupDay, SalesDay  # noqa: F401
