"""The reports other apps own, for a period: invite links, campaigns, funds and NPS.

Each reads the owning app's selectors (read-only), so its figures are the ones that app's own API report
gives for the same dates. None of them has a store: a sign-up, a mailing, a donation and a survey answer
belong to the program, not to a store (the report pages say so).

- invite links: per link, the sign-ups that joined through it in the period, how many of them bought,
  their purchases and revenue, conversion (buyers / sign-ups), cost and cost per buyer;
- campaigns: per campaign that started sending in the period, recipients, control group, buyers and
  revenue per customer (mailed vs control) over the campaign's report window, the uplift and its 95 % CI;
- funds: per fund, the points and money donated in the period, donors and donations;
- NPS: the survey answers given in the period: promoters (9-10), passives (7-8), detractors (0-6), NPS.
"""
from __future__ import annotations

from analytics.periods import Period
from campaigns import selectors as campaign_selectors
from loyalty.money import money_quantize
from referrals import social_selectors
from referrals.selectors import invite_links as link_selectors

CAMPAIGN_DAYS = 30


def _head(period: Period) -> dict:
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


def invite_links_report(period: Period) -> dict:
    rows = link_selectors.invite_links_report(merchant=period.merchant, date_from=period.first, date_to=period.last)
    return {**_head(period), "links": [row.as_dict() for row in rows]}


def campaigns_report(period: Period) -> dict:
    campaigns = campaign_selectors.campaign_list_started(merchant=period.merchant, start=period.start, end=period.end)
    rows = []
    for campaign in campaigns:
        report = campaign_selectors.campaign_report(campaign=campaign, days=CAMPAIGN_DAYS)
        rows.append({"code": campaign.code, "name": campaign.name, "started_at": campaign.began.isoformat(), **report})
    return {**_head(period), "campaigns": rows}


def funds_report(period: Period) -> dict:
    rows = []
    for fund in social_selectors.fund_list(merchant=period.merchant):
        report = social_selectors.fund_report(merchant=period.merchant, fund=fund, start=period.first, end=period.last)
        rows.append({"code": fund.code, "name": fund.name, "points": report.points, "amount": str(money_quantize(report.amount, period.merchant.currency)),
                     "donors": report.donors, "donations": report.donations})
    return {**_head(period), "funds": rows}


def nps_report(period: Period) -> dict:
    return {**_head(period), **campaign_selectors.nps_report(merchant=period.merchant, date_from=period.first, date_to=period.last)}
