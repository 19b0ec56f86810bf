"""What referrals add to joining the program (loyalty.services.customer_join, through loyalty.extensions.join_register):
the referral code and invite link are checked before anything is written, and their rewards written after."""
from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Customer
from loyalty.extensions import JoinRecord, JoinRequest
from referrals.models import InviteLink, ReferralSettings
from referrals.selectors.referrals import referral_settings_get
from referrals.services.invite_links import invite_link_for_join, invite_link_join
from referrals.services.referrals import referrer_find, referrer_join_reward


@dataclass(frozen=True)
class JoinState:
    referrer: Customer | None
    link: InviteLink | None
    settings: ReferralSettings | None


def join_check(request: JoinRequest) -> JoinState | None:
    """Raises: ApplicationError referral_code_unknown, self_referral, invite_unknown (nothing is written)."""
    profile = request.profile
    referrer = referrer_find(merchant=request.merchant, code=profile.get("referral_code"), phone=request.phone,
                             email=profile.get("email") or "")
    link = invite_link_for_join(merchant=request.merchant, code=profile.get("invite"))
    if referrer is None and link is None:
        return None
    settings = referral_settings_get(merchant=request.merchant) if referrer is not None else None
    return JoinState(referrer=referrer, link=link, settings=settings)


def join_welcome(record: JoinRecord) -> int | None:
    """The newcomer's welcome bonus: the invite link's, or the referral's bigger one; None leaves the program's."""
    state: JoinState | None = record.state
    if state is None:
        return None
    offered = []
    if state.link is not None and state.link.welcome_bonus is not None:
        offered.append(state.link.welcome_bonus)
    if state.referrer is not None and state.settings.referee_welcome_bonus is not None:
        offered.append(state.settings.referee_welcome_bonus)
    return max(offered) if offered else None


def join_after(record: JoinRecord) -> None:
    state: JoinState | None = record.state
    if state is None:
        return
    if state.link is not None:
        invite_link_join(link=state.link, customer=record.customer, at=record.at)
    if state.referrer is not None:
        referrer_join_reward(merchant=record.merchant, settings=state.settings, referrer=state.referrer, friend=record.customer, at=record.at)


def join_offer(*, merchant, referral_code: str = "", invite: str = "") -> dict | None:
    """What a newcomer gets through a referral code or an invite link, for the portal's join page; None when
    the code or link is unknown."""
    from accounts.errors import ApplicationError

    try:
        referrer = None
        if referral_code:
            referrer = Customer.objects.filter(merchant=merchant, referral_code=referral_code.strip()).first()
            if referrer is None:
                return None
        link = invite_link_for_join(merchant=merchant, code=invite) if invite else None
    except ApplicationError:
        return None
    welcome = merchant.program.welcome_bonus
    settings = referral_settings_get(merchant=merchant)
    offered = []
    if link is not None and link.welcome_bonus is not None:
        offered.append(link.welcome_bonus)
    if referrer is not None and settings.referee_welcome_bonus is not None:
        offered.append(settings.referee_welcome_bonus)
    if offered:
        welcome = max(offered)
    extra = None
    if referrer is not None and settings.referee_extra_percent > 0:
        extra = {"percent": settings.referee_extra_percent, "purchases": settings.referee_extra_purchases}
    return {"welcome": welcome, "referrer": referrer, "link": link, "extra": extra,
            "offers": list(link.offers) if link else [], "gifts": list(link.gifts) if link else []}
