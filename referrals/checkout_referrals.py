"""What referrals plug into loyalty's checkout (registered in ReferralsConfig.ready()): the context loader,
the after-commit writer and the after-refund reverser. The pure step is in referrals.pipeline_referrals."""
from __future__ import annotations

from accounts.models import Customer
from loyalty.extensions import CommitRecord, LoadRequest, RefundRecord
from loyalty.services.ledger import account_lock
from referrals.models import BonusOn, ReferralReward, RewardKind
from referrals.pipeline_referrals import NAME, Beneficiary, ReferralOutcome, ReferralState
from referrals.selectors.referrals import (masked_name, purchases_count, referral_earned_in_month, referral_settings_active,
                                           referral_settings_get)
from referrals.services.invite_links import invite_signup_recount
from referrals.services.referrals import RewardToWrite, purchase_rewards_reverse, purchase_rewards_write


def referrals_load(request: LoadRequest) -> ReferralState | None:
    """Once per calculation: the settings, the friend's referrer chain, how many purchases they made and what each
    beneficiary earned this month. A customer nobody referred costs no query. At commit the beneficiaries'
    accounts are locked (friend first, then up the chain) before their month is read, so the cap holds under races."""
    customer, merchant = request.customer, request.merchant
    if customer is None or customer.referred_by_id is None:
        return None
    settings = referral_settings_get(merchant=merchant)
    if not referral_settings_active(settings):
        return None
    chain: list[Customer] = []
    referrer = Customer.objects.filter(merchant=merchant, pk=customer.referred_by_id).select_related("referred_by").first()
    if referrer is not None:
        chain.append(referrer)
        if referrer.referred_by is not None and referrer.referred_by.merchant_id == merchant.pk and referrer.referred_by_id != customer.pk:
            chain.append(referrer.referred_by)
    # The friend's purchases so far matter only for "first N purchases" and a bonus on the first purchase.
    counted = (settings.referee_extra_purchases is not None or settings.referrer_percent_purchases is not None
               or (settings.referrer_bonus > 0 and settings.referrer_bonus_on == BonusOn.FIRST_PURCHASE))
    before = purchases_count(merchant=merchant, customer=customer) if counted else 0
    rows = {}
    for person in chain:
        person.merchant = merchant  # the entries' texts read the merchant's language: no query per beneficiary
        rows[person.pk] = (person, account_lock(customer=person) if request.for_commit else None)
    bonus_due = 0
    if chain and settings.referrer_bonus > 0 and settings.referrer_bonus_on == BonusOn.FIRST_PURCHASE and before == 0:
        given = ReferralReward.objects.filter(merchant=merchant, friend=customer, kind=RewardKind.JOIN).exists()
        bonus_due = 0 if given else settings.referrer_bonus
    percents = (settings.referrer_percent, settings.second_level_percent)
    wanted = [person for level, person in enumerate(chain) if percents[level] > 0 or (level == 0 and bonus_due)]
    earned = (referral_earned_in_month(merchant=merchant, beneficiary_ids=[person.pk for person in wanted], at=request.draft.purchased_at)
              if settings.monthly_cap is not None else {})
    beneficiaries = tuple(
        Beneficiary(customer_id=person.pk, level=level + 1, label=masked_name(person), percent=percents[level],
                    earned_this_month=earned.get(person.pk, 0), first_purchase_bonus=bonus_due if level == 0 else 0)
        for level, person in enumerate(chain) if person in wanted
    )
    return ReferralState(extra_percent=settings.referee_extra_percent, extra_purchases=settings.referee_extra_purchases,
                         percent_purchases=settings.referrer_percent_purchases, purchases_before=before,
                         monthly_cap=settings.monthly_cap, beneficiaries=beneficiaries, rows=rows)


def referrals_after_commit(record: CommitRecord) -> None:
    # A customer who joined through an invite link: their sign-up's purchases and revenue for the report.
    if record.customer is not None and record.customer.invite_code:
        invite_signup_recount(merchant_id=record.merchant.pk, customer_id=record.customer.pk)
    outcome: ReferralOutcome | None = record.calculation.outcomes.get(NAME)
    if outcome is None or record.customer is None:
        return
    state: ReferralState | None = record.context.extras.get(NAME)
    purchase_rewards_write(
        merchant=record.merchant, friend=record.customer, receipt=record.receipt, loaded=state.rows if state is not None else None,
        rewards=[RewardToWrite(beneficiary_id=reward.beneficiary_id, level=reward.level,
                               kind=RewardKind.JOIN if reward.kind == "join" else RewardKind.PURCHASE,
                               points=reward.points, capped=reward.capped) for reward in outcome.rewards],
    )


def referrals_after_refund(record: RefundRecord) -> None:
    if record.customer is not None and record.customer.invite_code:
        invite_signup_recount(merchant_id=record.merchant.pk, customer_id=record.customer.pk)
    if record.customer is None or record.customer.referred_by_id is None:
        return
    purchase_rewards_reverse(merchant=record.merchant, receipt=record.receipt, refund=record.refund, fully_returned=record.fully_returned)


def customer_read(*, merchant, customer) -> dict:
    from referrals.selectors.referrals import referral_summary

    return {"referrals": referral_summary(merchant=merchant, customer=customer)}
