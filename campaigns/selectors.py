"""Every read of the campaigns app. Each selector takes `merchant` first and filters by it first.

Public for other parts of the app (mailings, triggers, draws): `segment_customers` and
`segment_rules_customers` give a segment's members as one lazy QuerySet of accounts.Customer.
"""
from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Customer, Merchant
from campaigns.models import Badge, Draw, DrawParticipant, Segment
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
    from campaigns.services.surveys import period_bounds

    start, end = period_bounds(merchant, date_from, date_to)
    return (SurveyResponse.objects.filter(merchant=merchant, at__gte=start, at__lt=end).exclude(comment="")
            .select_related("customer").order_by("-at", "-pk"))
