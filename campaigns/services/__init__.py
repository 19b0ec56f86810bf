"""Every write of the campaigns app."""
from campaigns.services.bonuses import segment_bonus_give
from campaigns.services.draws import draw_as_dict, draw_create, draw_rank, draw_result, draw_run, draw_winners
from campaigns.services.segments import segment_as_dict, segment_create, segment_delete, segment_update

__all__ = ["draw_as_dict", "draw_create", "draw_rank", "draw_result", "draw_run", "draw_winners", "segment_as_dict",
           "segment_bonus_give", "segment_create", "segment_delete", "segment_update"]
