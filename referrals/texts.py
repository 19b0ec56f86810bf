"""The referral messages stored in entries and explanations (a code and parameters), rendered in each
reader's language from this app's catalogue. Registered into loyalty.texts from ReferralsConfig.ready()."""
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from loyalty.texts import message_register


def _n(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


MESSAGES = {
    "entry.referral.join": lambda p: _("For your friend %(friend)s joining") % p,
    "entry.referral.first_purchase": lambda p: _("For your friend %(friend)s's first purchase, receipt %(number)s") % p,
    "entry.referral.purchase": lambda p: _("For %(friend)s's purchase, receipt %(number)s") % p,
    "entry.referral.second_level": lambda p: _("For %(friend)s's purchase (a friend of a friend), receipt %(number)s") % p,
    "entry.referral.reversed": lambda p: _("Taken back: %(friend)s returned items from receipt %(number)s") % p,
    "applied.referee_extra.name": lambda p: _("Friend's extra %(rate)s%%") % p,
    "applied.referee_extra.detail": lambda p: _("%(rate)s%% of %(paid)s paid in money, purchase %(nth)s of %(of)s") % p,
    "applied.referee_extra.detail_all": lambda p: _("%(rate)s%% of %(paid)s paid in money") % p,
    "applied.referrer_reward.name": lambda p: _("To %(beneficiary)s for bringing this customer") % p,
    "applied.referrer_reward.second_level": lambda p: _("To %(beneficiary)s, second level") % p,
    "applied.referrer_reward.percent": lambda p: _("%(rate)s%% of %(paid)s paid in money") % p,
    "applied.referrer_reward.first_purchase": lambda p: ngettext(
        "%(points)d point for the friend's first purchase", "%(points)d points for the friend's first purchase", _n(p.get("points"))
    ) % p,
    "applied.referrer_reward.capped": lambda p: ngettext(
        "%(capped)d point over the monthly cap is not credited", "%(capped)d points over the monthly cap are not credited", _n(p.get("capped"))
    ) % p,
}
SHORT = {
    "entry.referral.join": lambda p: "%(friend)s" % p,
    "entry.referral.purchase": lambda p: _("%(friend)s, receipt %(number)s") % p,
}


def register() -> None:
    for code, render in MESSAGES.items():
        message_register(code, render, short=SHORT.get(code))
