"""Referral rewards: the settings (the program's `referral` section), rewards on joining and on a
friend's purchases, the monthly cap, and their reversal when the friend returns items.

Points move only through loyalty.services.ledger. Beneficiaries' accounts are locked friend first,
then up the chain (referrer, then the referrer's referrer): a chain never loops (a customer's
referrer existed before them), so two commits lock in the same order and cannot deadlock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, ValidationError
from accounts.inputs import InputError, decimal_parse, integer_parse
from accounts.models import Customer, Merchant, User
from accounts.phones import phone_normalize
from accounts.services import audit_record
from loyalty.drafts import unknown_keys_check
from loyalty.models import EntryKind, Receipt, Refund
from loyalty.services.ledger import account_lock, points_credit, points_reclaim
from loyalty.texts import message
from referrals.models import BonusOn, ReferralReward, ReferralSettings, RewardKind
from referrals.selectors.referrals import masked_name, referral_earned_in_month, referral_settings_get

FIELDS = ("referee_welcome_bonus", "referrer_bonus", "referrer_bonus_on", "referee_extra_percent", "referee_extra_purchases",
          "referrer_percent", "referrer_percent_purchases", "second_level_percent", "monthly_cap")
PERCENT_FIELDS = ("referee_extra_percent", "referrer_percent", "second_level_percent")
# field -> (nullable, low, high)
INTEGER_FIELDS = {
    "referee_welcome_bonus": (True, 0, 1_000_000),
    "referrer_bonus": (False, 0, 1_000_000),
    "referee_extra_purchases": (True, 1, 10_000),
    "referrer_percent_purchases": (True, 1, 10_000),
    "monthly_cap": (True, 1, 100_000_000),
}
HUNDRED = Decimal(100)


# --- settings (the program's "referral" section) ---------------------------------------------------

def referral_settings_read(*, merchant: Merchant) -> dict:
    found = referral_settings_get(merchant=merchant)
    return {name: (str(Decimal(value).quantize(Decimal("0.01"))) if name in PERCENT_FIELDS else value)
            for name in FIELDS for value in [getattr(found, name)]}


def referral_settings_validate(*, merchant: Merchant, value) -> dict:
    """Check a partial `referral` object; return it cleaned.

    Raises:
        ValidationError: a message per bad or unknown field; nothing is written.
    """
    if not isinstance(value, dict):
        raise ValidationError({"non_field_errors": [_("Send an object of referral settings.")]})
    errors: dict = {}
    clean: dict = {}
    unknown_keys_check(value, FIELDS, errors=errors)
    for name, raw in value.items():
        if name in INTEGER_FIELDS:
            nullable, low, high = INTEGER_FIELDS[name]
            if raw is None:
                if nullable:
                    clean[name] = None
                else:
                    errors[name] = [_("This field cannot be empty.")]
                continue
            try:
                number = integer_parse(raw)
            except InputError as exc:
                errors[name] = [exc.message]
                continue
            if number < low or number > high:
                errors[name] = [_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]
                continue
            clean[name] = number
        elif name in PERCENT_FIELDS:
            if raw is None:
                errors[name] = [_("Enter a percentage as a string, such as \"1.00\"; \"0.00\" turns it off.")]
                continue
            try:
                number = decimal_parse(raw, places=2)
            except InputError as exc:
                errors[name] = [exc.message]
                continue
            if number < 0 or number > HUNDRED:
                errors[name] = [_("Enter a value from %(low)s to %(high)s.") % {"low": 0, "high": 100}]
                continue
            clean[name] = number
        elif name == "referrer_bonus_on":
            if raw not in BonusOn.values:
                errors[name] = [_("Choose \"join\" or \"first_purchase\".")]
                continue
            clean[name] = raw
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def referral_settings_update(*, merchant: Merchant, clean: dict, actor: User | None = None) -> ReferralSettings:
    """Write validated referral settings (inside the program PATCH's transaction); audited."""
    found, _created = ReferralSettings.objects.select_for_update().get_or_create(merchant=merchant)
    before = {name: str(getattr(found, name)) for name in clean}
    for name, value in clean.items():
        setattr(found, name, value)
    found.save()
    if clean:
        audit_record(merchant=merchant, actor=actor, action="program.referral_updated", target=merchant.slug,
                     data={"before": before, "after": {name: str(value) for name, value in clean.items()}})
    return found


# --- joining -----------------------------------------------------------------------------------------

def referrer_find(*, merchant: Merchant, code, phone: str, email: str) -> Customer | None:
    """The customer whose referral code a newcomer typed; None for no code.

    Raises:
        ApplicationError: referral_code_unknown, self_referral (the newcomer's phone or email is the referrer's).
    """
    code = code.strip() if isinstance(code, str) else ""
    if not code:
        return None
    referrer = Customer.objects.filter(merchant=merchant, referral_code=code).first()
    if referrer is None:
        detail = _("No customer has the referral code %(code)s.") % {"code": code[:8]}
        raise ApplicationError("referral_code_unknown", detail, fields={"referral_code": [detail]})
    e164 = phone_normalize(raw=phone, region=merchant.country) if isinstance(phone, str) else None
    same_email = bool(email) and isinstance(email, str) and referrer.email and email.strip().lower() == referrer.email.lower()
    if (e164 is not None and e164 == referrer.phone) or same_email:
        detail = _("A customer cannot use their own referral code.")
        raise ApplicationError("self_referral", detail, fields={"referral_code": [detail]})
    return referrer


def reward_cap(*, settings: ReferralSettings, earned: int, points: int) -> tuple[int, int]:
    """(credited, held back) of `points` for a beneficiary who earned `earned` this month."""
    if settings.monthly_cap is None:
        return points, 0
    credited = max(min(points, settings.monthly_cap - earned), 0)
    return credited, points - credited


def referrer_join_reward(*, merchant: Merchant, settings: ReferralSettings, referrer: Customer, friend: Customer, at: datetime) -> ReferralReward | None:
    """The referrer's bonus for a friend who just joined (when the bonus is on joining), within the monthly cap."""
    if settings.referrer_bonus <= 0 or settings.referrer_bonus_on != BonusOn.JOIN:
        return None
    account = account_lock(customer=referrer)
    earned = referral_earned_in_month(merchant=merchant, beneficiary_ids=[referrer.pk], at=at).get(referrer.pk, 0)
    points, capped = reward_cap(settings=settings, earned=earned, points=settings.referrer_bonus)
    entry = None
    if points:
        entry = points_credit(customer=referrer, account=account, kind=EntryKind.REFERRAL, points=points,
                              text=message("entry.referral.join", friend=masked_name(friend)), at=at,
                              ttl_days=merchant.program.points_ttl_days)
    return ReferralReward.objects.create(merchant=merchant, beneficiary=referrer, friend=friend, entry=entry, kind=RewardKind.JOIN,
                                         level=1, points=points, capped=capped, at=at)


# --- purchases ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RewardToWrite:
    """One reward a committed receipt earns someone, as the pipeline step decided it."""

    beneficiary_id: object
    level: int
    kind: str  # RewardKind
    points: int
    capped: int


def purchase_rewards_write(*, merchant: Merchant, friend: Customer, receipt: Receipt, rewards: list[RewardToWrite],
                           loaded: dict | None = None) -> None:
    """Credit what a friend's receipt earned its beneficiaries (inside the commit's transaction).
    Purchase shares follow the program's pending_days and points_ttl_days; a first-purchase bonus is
    available at once. `loaded` is {customer id: (Customer, locked PointsAccount)} the checkout loader
    already read under the commit's lock; anyone missing from it is read and locked here."""
    if not rewards:
        return
    program = merchant.program
    friend_label = masked_name(friend)
    loaded = dict(loaded or {})
    missing = {reward.beneficiary_id for reward in rewards} - set(loaded)
    if missing:
        for customer in Customer.objects.filter(merchant=merchant, pk__in=missing):
            loaded[customer.pk] = (customer, None)
    rows = []
    for reward in sorted(rewards, key=lambda item: item.level):
        beneficiary, account = loaded.get(reward.beneficiary_id, (None, None))
        if beneficiary is None:
            continue
        entry = None
        if reward.points > 0:
            if account is None:
                account = account_lock(customer=beneficiary)
            if reward.kind == RewardKind.JOIN:
                text = message("entry.referral.first_purchase", friend=friend_label, number=receipt.number)
                pending = 0
            else:
                code = "entry.referral.purchase" if reward.level == 1 else "entry.referral.second_level"
                text = message(code, friend=friend_label, number=receipt.number)
                pending = program.pending_days
            entry = points_credit(customer=beneficiary, account=account, kind=EntryKind.REFERRAL, points=reward.points, text=text,
                                  at=receipt.purchased_at, ttl_days=program.points_ttl_days, pending_days=pending)
        rows.append(ReferralReward(merchant=merchant, beneficiary=beneficiary, friend=friend, receipt=receipt, entry=entry,
                                   kind=reward.kind, level=reward.level, points=reward.points, capped=reward.capped,
                                   at=receipt.purchased_at))
    ReferralReward.objects.bulk_create(rows)


def purchase_rewards_reverse(*, merchant: Merchant, receipt: Receipt, refund: Refund, fully_returned: bool) -> None:
    """Take back the beneficiaries' purchase rewards in the proportion the return took of the receipt's own
    points (all that remains on a full return), cumulatively, so several partial returns add up exactly."""
    rewards = list(ReferralReward.objects.filter(merchant=merchant, receipt=receipt, kind=RewardKind.PURCHASE, points__gt=0)
                   .select_related("beneficiary", "friend", "entry").order_by("level", "pk"))
    if not rewards:
        return
    if receipt.accrued_points > 0:
        share = Decimal(receipt.points_reversed) / Decimal(receipt.accrued_points)
    else:
        cost = receipt.subtotal - receipt.discount
        share = (receipt.refunded_cost / cost) if cost > 0 else Decimal(1)
    for reward in rewards:
        target = reward.points if fully_returned else min(int((reward.points * share).to_integral_value(rounding=ROUND_FLOOR)), reward.points)
        take = target - reward.reversed_points
        if take <= 0:
            continue
        account = account_lock(customer=reward.beneficiary)
        points_reclaim(customer=reward.beneficiary, account=account, kind=EntryKind.REFERRAL, points=take,
                       own_lot=reward.entry.lot if reward.entry is not None else None, at=refund.at,
                       text=message("entry.referral.reversed", friend=masked_name(reward.friend), number=receipt.number))
        ReferralReward.objects.filter(pk=reward.pk).update(reversed_points=target)
