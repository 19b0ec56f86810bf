"""Occasion bonuses: every member of a segment credited once, set-based (loyalty's bulk credit)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.inputs import InputError, integer_parse, text_is_bad
from accounts.services import audit_record
from campaigns import selectors
from campaigns.models import Segment, SegmentBonus
from loyalty.models import EntryKind
from loyalty.services.ledger import points_credit_bulk

MAX_POINTS = 1_000_000
MAX_TTL_DAYS = 3650


def bonus_clean(data: dict) -> dict:
    """{"points", "ttl_days", "reason"} checked. Raises ValidationError by field."""
    errors: dict = {}
    clean: dict = {}
    for key in sorted(set(data) - {"points", "ttl_days", "reason"}, key=str):
        errors[str(key)] = [_("Unknown field.")]
    try:
        points = integer_parse(data.get("points"), max_digits=9)
        if not 1 <= points <= MAX_POINTS:
            raise InputError(_("Send 1 to %(n)d points.") % {"n": MAX_POINTS})
        clean["points"] = points
    except InputError as exc:
        errors["points"] = [exc.message]
    ttl = data.get("ttl_days")
    clean["ttl_days"] = None
    if ttl is not None and ttl != "":
        try:
            ttl = integer_parse(ttl, max_digits=6)
            if not 1 <= ttl <= MAX_TTL_DAYS:
                raise InputError(_("Send 1 to %(n)d days, or null for points that never expire.") % {"n": MAX_TTL_DAYS})
            clean["ttl_days"] = ttl
        except InputError as exc:
            errors["ttl_days"] = [exc.message]
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200 or text_is_bad(reason):
        errors["reason"] = [_("Say why, in 1 to 200 characters: customers read it in their history.")]
    else:
        clean["reason"] = reason.strip()
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def segment_bonus_give(*, segment: Segment, data: dict, staff=None, now=None) -> SegmentBonus:
    """Credit every member of the segment now, entry kind `bonus` with the reason. One INSERT … SELECT
    for the lots and one for the entries, whatever the segment's size.

    Raises:
        ValidationError: bad points, ttl_days or reason.
    """
    clean = bonus_clean(data)
    now = now or timezone.now()
    merchant = segment.merchant
    members = selectors.segment_customers(merchant=merchant, segment=segment, now=now)
    credited = points_credit_bulk(merchant=merchant, customers=members, kind=EntryKind.BONUS, points=clean["points"],
                                  description=clean["reason"], at=now, ttl_days=clean["ttl_days"], staff=staff)
    bonus = SegmentBonus.objects.create(merchant=merchant, segment=segment, segment_name=segment.name, points=clean["points"],
                                        ttl_days=clean["ttl_days"], reason=clean["reason"], customers=credited, at=now, staff=staff)
    audit_record(merchant=merchant, actor=staff, action="segment.bonus", target=segment.code, reason=clean["reason"],
                 data={"points": clean["points"], "customers": credited, "ttl_days": clean["ttl_days"]})
    return bonus
