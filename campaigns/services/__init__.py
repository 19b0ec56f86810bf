"""Every write of the campaigns app."""
from campaigns.services.bonuses import segment_bonus_give
from campaigns.services.segments import segment_as_dict, segment_create, segment_delete, segment_update

__all__ = ["segment_as_dict", "segment_bonus_give", "segment_create", "segment_delete", "segment_update"]
