"""What the customer sees of referrals in the portal: what a newcomer gets on the join page reached through a
friend's code (`?ref=`) or an invite link (`?invite=`), and the "Invite friends" section of the home page.
Registered from ReferralsConfig.ready(); reads are scoped to the portal's merchant."""
from __future__ import annotations

import segno
from django.urls import reverse
from django.utils.safestring import mark_safe

from loyalty.extensions import PortalJoinPart, PortalSection, portal_join_register, portal_section_register
from referrals.selectors.referrals import masked_name, referral_settings_get, referral_summary
from referrals.services.joining import join_offer


def join_context(request, merchant, values: dict) -> dict | None:
    offer = join_offer(merchant=merchant, referral_code=values.get("ref", ""), invite=values.get("invite", ""))
    if offer is None:
        return {"unknown": True}
    return {
        "unknown": False,
        "welcome": offer["welcome"],
        "usual_welcome": merchant.program.welcome_bonus,
        "referrer": masked_name(offer["referrer"]) if offer["referrer"] is not None else "",
        "link": offer["link"],
        "extra": offer["extra"],
        "gifts": offer["gifts"],
        "offers": offer["offers"],
    }


def join_profile(values: dict) -> dict:
    return {"referral_code": values.get("ref", ""), "invite": values.get("invite", "")}


def invite_url(request, merchant, customer) -> str:
    path = reverse("portal:join", kwargs={"merchant_slug": merchant.slug})
    return request.build_absolute_uri(f"{path}?ref={customer.referral_code}")


def section_context(request, customer) -> dict:
    merchant = getattr(request, "merchant", None)
    if customer is None or merchant is None or customer.merchant_id != merchant.pk:
        return {"invite": None}
    url = invite_url(request, merchant, customer)
    settings = referral_settings_get(merchant=merchant)
    qr = segno.make_qr(url, error="m")
    return {"invite": {
        "code": customer.referral_code,
        "url": url,
        "qr_svg": mark_safe(qr.svg_inline(scale=3, border=2, dark="#141a26", omitsize=True)),
        "friend_welcome": settings.referee_welcome_bonus,
        "referrer_bonus": settings.referrer_bonus,
        "referrer_percent": settings.referrer_percent,
        **referral_summary(merchant=merchant, customer=customer),
    }}


def register() -> None:
    portal_join_register(PortalJoinPart("referrals", params=("ref", "invite"), template="referrals/portal/_join_offer.html",
                                        context=join_context, profile=join_profile))
    portal_section_register(PortalSection("referrals", "referrals/portal/_invite_friends.html", context=section_context, order=45))
