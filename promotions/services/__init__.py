"""Every write of the promotions app; other apps and the surfaces call these, never the models.

promotions: definitions (create, update, delete) and their API shape.
codes: public codes and personal batches.
offers: personal offers and material gifts.
"""
from promotions.services.codes import code_batch_create, code_create, codes_create, codes_issue_personal  # noqa: F401
from promotions.services.offers import (gift_grant, gift_validate, gift_withdraw, gifts_grant_many, offer_grant,  # noqa: F401
                                        offer_validate, offer_withdraw, offers_grant_many)
from promotions.services.promotions import (  # noqa: F401
    promotion_as_dict,
    promotion_create,
    promotion_delete,
    promotion_update,
    promotions_version,
    promotions_version_bump,
)
