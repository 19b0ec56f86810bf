"""Promotion definitions: create, update, delete, and the API's JSON shape of one promotion."""
from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.models import Merchant, User
from accounts.services import audit_record
from loyalty.money import money_quantize
from promotions.models import Promotion, PromotionUse, PromotionVersion
from promotions.services.validation import promotion_validate


def promotion_as_dict(promotion: Promotion) -> dict:
    """Exactly API.md's JSON of a promotion (the pricing core's `spec_from_dict` reads this shape).

    Moments are shown in the merchant's timezone; money at the currency's precision.
    """
    merchant = promotion.merchant
    zone = ZoneInfo(merchant.timezone)
    return {
        "code": promotion.code,
        "name": promotion.name,
        "description": promotion.description,
        "active": promotion.active,
        "priority": promotion.priority,
        "exclusive": promotion.exclusive,
        "starts_at": promotion.starts_at.astimezone(zone).isoformat() if promotion.starts_at else None,
        "ends_at": promotion.ends_at.astimezone(zone).isoformat() if promotion.ends_at else None,
        "weekly": promotion.weekly,
        "audience": promotion.audience,
        "conditions": promotion.conditions,
        "target": promotion.target,
        "effects": promotion.effects,
        "block_accrual": promotion.block_accrual,
        "block_redemption": promotion.block_redemption,
        "limits": promotion.limits,
        "uses": promotion.uses,
        "spent_amount": str(money_quantize(promotion.spent_amount, merchant.currency)),
        "spent_points": promotion.spent_points,
    }


def promotions_version_bump(*, merchant: Merchant) -> None:
    """Tell every process that the merchant's compiled promotions are stale (inside the writer's transaction).

    The new version is a random number, not the old one plus one: a write that rolls back after a
    calculation in its transaction cached its promotions must not leave a version that a later,
    different write would produce again.
    """
    token = secrets.randbits(62) + 1
    updated = PromotionVersion.objects.filter(merchant=merchant).update(version=token)
    if not updated:
        PromotionVersion.objects.update_or_create(merchant=merchant, defaults={"version": token})


def promotions_version(*, merchant: Merchant) -> int:
    row = PromotionVersion.objects.filter(merchant=merchant).values_list("version", flat=True).first()
    return row or 0


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def promotion_create(*, merchant: Merchant, data, actor: User | None = None) -> Promotion:
    """Create a promotion from API JSON; only code, name and effects are required.

    Raises:
        ValidationError: every bad field named.
    """
    clean = promotion_validate(merchant=merchant, data=data)
    now = timezone.now()
    promotion = Promotion.objects.create(merchant=merchant, created_at=now, updated_at=now, **clean)
    promotions_version_bump(merchant=merchant)
    audit_record(merchant=merchant, actor=actor, action="promotion.created", target=promotion.code,
                 data={"name": promotion.name, "effects": promotion.effects})
    return promotion


@transaction.atomic
def promotion_update(*, promotion: Promotion, data, actor: User | None = None) -> Promotion:
    """Change any subset of a promotion's fields (`{"active": false}` ends it).

    Raises:
        ValidationError: every bad field named; `starts_at` not before `ends_at` judged with the stored values.
    """
    merchant = promotion.merchant
    clean = promotion_validate(merchant=merchant, data=data, promotion=promotion)
    changes = {key: [_plain(getattr(promotion, key)), _plain(value)] for key, value in clean.items()
               if _plain(getattr(promotion, key)) != _plain(value)}
    for key, value in clean.items():
        setattr(promotion, key, value)
    promotion.updated_at = timezone.now()
    promotion.save()
    promotions_version_bump(merchant=merchant)
    audit_record(merchant=merchant, actor=actor, action="promotion.updated", target=promotion.code,
                 data={"name": promotion.name, "changes": changes})
    return promotion


@transaction.atomic
def promotion_delete(*, promotion: Promotion, actor: User | None = None) -> None:
    """Delete a promotion that no receipt used and no other promotion unlocks.

    Raises:
        Conflict: promotion_in_use — it was used (end it with `active: false` instead), or another
            promotion's `unlock` names it.
    """
    merchant = promotion.merchant
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.uses or PromotionUse.objects.filter(merchant=merchant, promotion=promotion).exists():
        raise Conflict("promotion_in_use", _("This promotion has been used, so it cannot be deleted; set active to false to end it."))
    unlocking = [other.code for other in Promotion.objects.filter(merchant=merchant).exclude(pk=promotion.pk).only("code", "effects")
                 if any(effect.get("type") == "unlock" and effect.get("promotion") == promotion.code for effect in other.effects)]
    if unlocking:
        raise Conflict("promotion_in_use", _("Promotion %(codes)s unlocks this one; change it first.") % {"codes": ", ".join(unlocking)})
    code, name = promotion.code, promotion.name
    promotion.delete()
    promotions_version_bump(merchant=merchant)
    audit_record(merchant=merchant, actor=actor, action="promotion.deleted", target=code, data={"name": name})

