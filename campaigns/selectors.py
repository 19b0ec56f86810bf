"""Every read of the campaigns app. Each selector takes `merchant` first and filters by it first.

Public for other parts of the app (mailings, triggers, draws): `segment_customers` and
`segment_rules_customers` give a segment's members as one lazy QuerySet of accounts.Customer.
"""
from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.inputs import DATE_MAX
from accounts.models import Customer, Merchant
from campaigns.models import Badge, Campaign, Delivery, Draw, DrawParticipant, Segment, SurveyResponse
from campaigns.rules import rules_clean, rules_q


def segment_rules_customers(*, merchant: Merchant, rules, now: datetime | None = None) -> QuerySet[Customer]:
    """The merchant's customers the rules pick, as of `now`: one SQL query when evaluated.

    Raises:
        ValidationError: bad rules, keyed by the path of the bad part (`rules.all[1].any[0].op`).
    """
    clean = rules_clean(rules)
    return Customer.objects.filter(merchant=merchant).filter(rules_q(clean, merchant=merchant, now=now or timezone.now()))


def segment_customers(*, merchant: Merchant, segment: Segment, now: datetime | None = None) -> QuerySet[Customer]:
    """The segment's members now (or as of `now`); another merchant's segment picks nobody."""
    if segment.merchant_id != merchant.pk:
        return Customer.objects.none()
    return segment_rules_customers(merchant=merchant, rules=segment.rules, now=now)


def members_count(members: QuerySet) -> int:
    """COUNT(*) of a segment's members. On PostgreSQL without JIT: a segment query is costed high enough
    to trigger JIT compilation, which takes longer than the count itself (seconds over a million rows)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return members.count()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        return members.count()


def segment_count(*, merchant: Merchant, segment: Segment, now: datetime | None = None) -> int:
    return members_count(segment_customers(merchant=merchant, segment=segment, now=now))


def segment_list(*, merchant: Merchant) -> QuerySet[Segment]:
    return Segment.objects.filter(merchant=merchant).order_by("name", "code")


def segment_get(*, merchant: Merchant, code) -> Segment | None:
    if not isinstance(code, str) or not code or len(code) > 64:
        return None
    return Segment.objects.filter(merchant=merchant, code=code).first()


def segment_codes_known(*, merchant: Merchant, codes) -> set[str]:
    """Which of `codes` name a segment of the merchant."""
    return set(Segment.objects.filter(merchant=merchant, code__in=list(codes)).values_list("code", flat=True))


def segment_members_of(*, merchant: Merchant, customer: Customer, codes, now: datetime | None = None) -> set[str]:
    """Which of the segments named by `codes` hold this one customer: ONE query, each segment's rules
    evaluated for that customer only (an EXISTS per segment), never a whole segment."""
    from django.db.models import Exists, OuterRef

    segments = list(Segment.objects.filter(merchant=merchant, code__in=list(codes)))
    if not segments:
        return set()
    now = now or timezone.now()
    checks = {}
    for index, segment in enumerate(segments):
        try:
            clean = rules_clean(segment.rules)
        except Exception:  # a stored segment is checked when saved; an unreadable one holds nobody
            continue
        members = Customer.objects.filter(merchant=merchant, pk=OuterRef("pk")).filter(
            rules_q(clean, merchant=merchant, now=now, per_customer=True))
        checks[f"s{index}"] = Exists(members)
    if not checks:
        return set()
    row = Customer.objects.filter(merchant=merchant, pk=customer.pk).annotate(**checks).values(*checks).first()
    if row is None:
        return set()
    return {segments[int(key[1:])].code for key, held in row.items() if held}


def draw_list(*, merchant: Merchant) -> QuerySet[Draw]:
    return Draw.objects.filter(merchant=merchant).select_related("merchant").order_by("-draw_at", "-pk")


def draw_get(*, merchant: Merchant, code) -> Draw | None:
    if not isinstance(code, str) or not code or len(code) > 64:
        return None
    return Draw.objects.filter(merchant=merchant, code=code).select_related("merchant").first()


def draw_participant_ids(*, draw: Draw) -> QuerySet:
    return DrawParticipant.objects.filter(draw=draw).order_by("pk").values_list("customer_id", flat=True)


def badge_list(*, merchant: Merchant) -> QuerySet[Badge]:
    return Badge.objects.filter(merchant=merchant).order_by("created_at", "pk")


def bonus_list(*, merchant: Merchant, segment: Segment | None = None) -> QuerySet:
    from campaigns.models import SegmentBonus

    bonuses = SegmentBonus.objects.filter(merchant=merchant).order_by("-at", "-pk")
    return bonuses.filter(segment=segment) if segment is not None else bonuses


def leaderboard_settings(*, merchant: Merchant):
    """The merchant's leaderboard settings (unsaved defaults when never set: on, by purchases)."""
    from campaigns.models import LeaderboardSettings

    return LeaderboardSettings.objects.filter(merchant=merchant).first() or LeaderboardSettings(merchant=merchant)


def leaderboard_month(*, merchant: Merchant, now: datetime | None = None, limit: int = 10) -> tuple[str, list[dict]]:
    """This calendar month's top opted-in customers (merchant's timezone), by spend or purchases net of
    returns; each shown as first name and initial only. One grouped query."""
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum

    from campaigns.models import LeaderboardOptIn
    from loyalty.models import Receipt

    settings = leaderboard_settings(merchant=merchant)
    zone = ZoneInfo(merchant.timezone)
    local = (now or timezone.now()).astimezone(zone)
    start = datetime.combine(local.date().replace(day=1), dtime.min, tzinfo=zone)
    net = ExpressionWrapper(F("subtotal") - F("discount") - F("refunded_cost"), output_field=DecimalField(max_digits=14, decimal_places=2))
    rows = (Receipt.objects.filter(merchant=merchant, fully_refunded=False, purchased_at__gte=start,
                                   customer_id__in=LeaderboardOptIn.objects.filter(merchant=merchant).values("customer_id"))
            .order_by().values("customer_id", "customer__name").annotate(spend=Sum(net), purchases=Count("id")))
    metric = settings.metric
    rows = rows.order_by(f"-{metric}", "customer_id")[:limit]
    return metric, [{"rank": index + 1, "customer_id": row["customer_id"], "name": short_name(row["customer__name"]),
                     "value": row[metric]} for index, row in enumerate(rows)]


def short_name(name: str) -> str:
    """"Anna Smirnova" → "Anna S."; a single word stays as it is."""
    parts = (name or "").split()
    if not parts:
        return "—"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[1][0]}."


def survey_comments(*, merchant: Merchant, date_from, date_to) -> QuerySet:
    from campaigns.models import SurveyResponse
    start, end = period_bounds(merchant, date_from, date_to)
    return (SurveyResponse.objects.filter(merchant=merchant, at__gte=start, at__lt=end).exclude(comment="")
            .select_related("customer").order_by("-at", "-pk"))


# ---- reports (read-only; the API, the campaign screens and the analytics reports read them here) ----

S = Delivery.Status


def period_bounds(merchant: Merchant, date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(merchant.timezone)
    start = datetime.combine(date_from, time.min, tzinfo=zone)
    end = datetime.combine(date_to, time.min, tzinfo=zone) + timedelta(days=1) if date_to < DATE_MAX else datetime.combine(date_to, time.max, tzinfo=zone)
    return start, end


def nps_report(*, merchant: Merchant, date_from: date, date_to: date) -> dict:
    """Responses, promoters (9-10), passives (7-8), detractors (0-6) and NPS of the survey answers given in the period."""
    start, end = period_bounds(merchant, date_from, date_to)
    sums = SurveyResponse.objects.filter(merchant=merchant, at__gte=start, at__lt=end).aggregate(
        responses=Count("id"), promoters=Count("id", filter=Q(score__gte=9)), passives=Count("id", filter=Q(score__in=(7, 8))),
        detractors=Count("id", filter=Q(score__lte=6)))
    responses = sums["responses"] or 0
    nps = round(100 * (sums["promoters"] - sums["detractors"]) / responses) if responses else None
    return {"responses": responses, "promoters": sums["promoters"], "passives": sums["passives"], "detractors": sums["detractors"],
            "nps": nps}


def campaign_list_started(*, merchant: Merchant, start: datetime, end: datetime) -> QuerySet[Campaign]:
    """Campaigns sending or sent whose sending started in [start, end) (the moment campaign_report counts from), oldest first."""
    return (Campaign.objects.filter(merchant=merchant, status__in=(Campaign.Status.SENDING, Campaign.Status.SENT))
            .annotate(began=Coalesce("started_at", "send_at")).filter(began__gte=start, began__lt=end).order_by("began", "code"))


def campaign_report(*, campaign: Campaign, days: int = 30) -> dict:
    """Buyers and revenue per customer, mailed vs control, over `days` from the start of sending, with a 95 % CI."""
    from loyalty.models import Receipt

    start = campaign.started_at or campaign.send_at or timezone.now()
    end = start + timedelta(days=days)
    money = DecimalField(max_digits=18, decimal_places=2)
    spent = (Receipt.objects.filter(merchant_id=campaign.merchant_id, customer_id=OuterRef("customer_id"),
                                    purchased_at__gte=start, purchased_at__lt=end)
             .values("customer_id").annotate(total=Sum(F("total") - F("refunded_amount"))).values("total"))
    rows = (Delivery.objects.filter(campaign=campaign, status__in=(S.SENT, S.CONTROL))
            .annotate(revenue=Coalesce(Subquery(spent, output_field=money), Value(Decimal(0)), output_field=money))
            .values("status").annotate(n=Count("id"), buyers=Count("id", filter=Q(revenue__gt=0)), total=Sum("revenue"),
                                       squares=Sum(F("revenue") * F("revenue"), output_field=money)))
    groups = {row["status"]: row for row in rows}

    def stats(status):
        row = groups.get(status) or {"n": 0, "buyers": 0, "total": 0, "squares": 0}
        n = row["n"]
        total = float(row["total"] or 0)
        mean = total / n if n else 0.0
        var = (float(row["squares"] or 0) - n * mean * mean) / (n - 1) if n > 1 else 0.0
        return n, row["buyers"], mean, max(var, 0.0)

    n_m, b_m, mean_m, var_m = stats(S.SENT)
    n_c, b_c, mean_c, var_c = stats(S.CONTROL)
    diff = mean_m - mean_c
    half = 1.96 * math.sqrt((var_m / n_m if n_m else 0) + (var_c / n_c if n_c else 0)) if n_m and n_c else None
    ci = [f"{diff - half:.2f}", f"{diff + half:.2f}"] if half is not None else None
    offers_used = _offers_used(campaign=campaign, start=start, end=end)
    unsubscribed = (Delivery.objects.filter(campaign=campaign, status=S.SENT, channel="email", customer__consent_email=False).count())
    currency = campaign.merchant.currency
    if half is None:
        summary = _("Not enough data yet: the report compares mailed customers with a control group; "
                    "set a control percent above 0 to measure the effect.")
    elif diff - half > 0:
        summary = _("Mailed customers spent %(diff)s %(cur)s more each than the control group over %(days)s days. "
                    "With 95%% confidence the true effect is between %(low)s and %(high)s %(cur)s per customer: the campaign worked.") % {
            "diff": f"{diff:.2f}", "cur": currency, "days": days, "low": ci[0], "high": ci[1]}
    elif diff + half < 0:
        summary = _("Mailed customers spent %(diff)s %(cur)s less each than the control group over %(days)s days "
                    "(95%% confidence interval %(low)s to %(high)s): the campaign did not help.") % {
            "diff": f"{-diff:.2f}", "cur": currency, "days": days, "low": ci[0], "high": ci[1]}
    else:
        summary = _("The difference between mailed customers and the control group (%(diff)s %(cur)s per customer over %(days)s days) "
                    "is within chance: with 95%% confidence it lies between %(low)s and %(high)s. Wait for more purchases or mail more people.") % {
            "diff": f"{diff:.2f}", "cur": currency, "days": days, "low": ci[0], "high": ci[1]}
    return {
        "days": days, "recipients": campaign.recipients, "control": campaign.control,
        "buyers": {"mailed": b_m, "control": b_c},
        "revenue_per_customer": {"mailed": f"{mean_m:.2f}", "control": f"{mean_c:.2f}"},
        "uplift": {"revenue_per_customer": f"{diff:.2f}", "ci95": ci},
        "offers_used": offers_used, "unsubscribed": unsubscribed, "summary": summary,
    }


def _offers_used(*, campaign: Campaign, start: datetime, end: datetime) -> int:
    offer = campaign.offer or {}
    sent = Delivery.objects.filter(campaign=campaign, status=S.SENT)
    if offer.get("codes"):
        from promotions.selectors import personal_codes_used_count

        return personal_codes_used_count(merchant=campaign.merchant, codes=list(sent.exclude(code="").values_list("code", flat=True)))
    if offer.get("promotion"):
        from promotions.selectors import offers_used_count

        return offers_used_count(merchant=campaign.merchant, promotion_code=offer["promotion"],
                                 customer_ids=sent.values_list("customer_id", flat=True), since=start)
    if offer.get("points"):
        from loyalty.models import Receipt

        return (Receipt.objects.filter(merchant_id=campaign.merchant_id, customer_id__in=sent.values_list("customer_id", flat=True),
                                       purchased_at__gte=start, purchased_at__lt=end, redeemed_points__gt=0)
                .values("customer_id").distinct().count())
    return 0
