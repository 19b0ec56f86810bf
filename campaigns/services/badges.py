"""Badges: earned for actions (first purchase, N purchases, N referrals, answering the survey), with
optional points credited once on earning.

Awarding is set-based: for each badge one INSERT … SELECT adds the customers who now meet its rule and
have not earned it (the unique (badge, customer) row makes it once), then one bulk credit gives the
points to exactly those rows. It runs for one customer after each purchase and survey answer, and for
everyone in the `award_badges` job (referrals are counted there).
"""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.errors import Conflict
from accounts.inputs import InputError, integer_parse, text_is_bad
from accounts.models import Customer, Merchant
from campaigns.models import Badge, CustomerBadge, SurveyResponse
from loyalty.models import EntryKind, Receipt
from loyalty.services.ledger import points_credit_bulk
from referrals.selectors.referrals import referrers_with_at_least

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
RULES = tuple(Badge.Rule.values)
NEEDS_N = {Badge.Rule.PURCHASES, Badge.Rule.REFERRALS}


def badge_create(*, merchant: Merchant, data: dict) -> Badge:
    """{"code", "name", "rule", "n", "points"}. Raises ValidationError by field; Conflict badge_exists."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    for key in sorted(set(data) - {"code", "name", "rule", "n", "points", "active"}, key=str):
        errors[str(key)] = [_("Unknown field.")]
    code, name, rule = data.get("code"), data.get("name"), data.get("rule")
    rule = rule if isinstance(rule, str) else None
    if not isinstance(code, str) or not CODE_RE.fullmatch(code):
        errors["code"] = [_("Use 1 to 64 Latin letters, digits, \"-\" or \"_\".")]
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or text_is_bad(name):
        errors["name"] = [_("Send a name of 1 to 200 characters.")]
    if rule not in RULES:
        errors["rule"] = [_("Use one of: %(rules)s.") % {"rules": ", ".join(RULES)}]
    n = None
    if rule in NEEDS_N or data.get("n") is not None:
        try:
            n = integer_parse(data.get("n"), max_digits=6)
            if not 1 <= n <= 100_000:
                raise InputError(_("Send a number from 1 to %(n)d.") % {"n": 100_000})
        except InputError as exc:
            errors["n"] = [exc.message]
    points = 0
    if data.get("points") is not None:
        try:
            points = integer_parse(data.get("points"), max_digits=9)
            if not 0 <= points <= 1_000_000:
                raise InputError(_("Send 0 to %(n)d points.") % {"n": 1_000_000})
        except InputError as exc:
            errors["points"] = [exc.message]
    if errors:
        raise ValidationError(errors)
    if rule == Badge.Rule.FIRST_PURCHASE:
        n = None
    try:
        with transaction.atomic():
            badge = Badge.objects.create(merchant=merchant, code=code, name=name.strip(), rule=rule, n=n, points=points)
    except IntegrityError:
        raise Conflict("badge_exists", _("A badge with this code exists.")) from None
    return badge


def badge_as_dict(badge: Badge) -> dict:
    return {"code": badge.code, "name": badge.name, "rule": badge.rule, "n": badge.n, "points": badge.points, "active": badge.active}


def _eligible(badge: Badge) -> QuerySet[Customer]:
    merchant = badge.merchant
    customers = Customer.objects.filter(merchant=merchant)
    receipts = Receipt.objects.filter(merchant=merchant, customer__isnull=False, fully_refunded=False)
    if badge.rule == Badge.Rule.FIRST_PURCHASE:
        return customers.filter(Exists(receipts.filter(customer=OuterRef("pk"))))
    if badge.rule == Badge.Rule.PURCHASES:
        enough = receipts.order_by().values("customer_id").annotate(n=Count("id")).filter(n__gte=badge.n or 1).values("customer_id")
        return customers.filter(pk__in=enough)
    if badge.rule == Badge.Rule.REFERRALS:
        return customers.filter(pk__in=referrers_with_at_least(merchant=merchant, friends=badge.n or 1))
    return customers.filter(Exists(SurveyResponse.objects.filter(merchant=merchant, customer=OuterRef("pk"))))


def _award(badge: Badge, *, customer: Customer | None, now) -> int:
    eligible = _eligible(badge).exclude(Exists(CustomerBadge.objects.filter(badge=badge, customer=OuterRef("pk"))))
    if customer is not None:
        eligible = eligible.filter(pk=customer.pk)
    sql, params = eligible.order_by().annotate(member_id=F("pk")).values("member_id").query.sql_with_params()
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        # "WHERE 1 = 1" lets SQLite read ON CONFLICT after a SELECT.
        cursor.execute(f"""INSERT INTO campaigns_customerbadge (merchant_id, badge_id, customer_id, earned_at)
                           SELECT %s, %s, m.member_id, %s FROM ({sql}) m WHERE 1 = 1 ON CONFLICT DO NOTHING""",
                       [badge.merchant_id, badge.pk, stamp, *params])
        awarded = cursor.rowcount
    if awarded and badge.points:
        new = Customer.objects.filter(merchant=badge.merchant, pk__in=CustomerBadge.objects.filter(badge=badge, earned_at=now)
                                      .values("customer_id"))
        with translation.override(badge.merchant.language):  # entries read in the merchant's language
            description = _("Badge: %(name)s") % {"name": badge.name}
        points_credit_bulk(merchant=badge.merchant, customers=new, kind=EntryKind.BONUS, points=badge.points, at=now,
                           description=description)
    return awarded


def badges_award(*, now=None, merchant: Merchant | None = None, customer: Customer | None = None,
                 rules: tuple[str, ...] | None = None) -> int:
    """Award every active badge (of `merchant`, for `customer`, of `rules` when given) to whoever now meets it."""
    now = now or timezone.now()
    badges = Badge.objects.filter(active=True).select_related("merchant")
    if merchant is not None:
        badges = badges.filter(merchant=merchant)
    if customer is not None:
        badges = badges.filter(merchant_id=customer.merchant_id)
    if rules is not None:
        badges = badges.filter(rule__in=rules)
    total = 0
    with transaction.atomic():
        for badge in badges.order_by("pk"):
            total += _award(badge, customer=customer, now=now)
    return total


def customer_badges(*, merchant: Merchant, customer: Customer) -> list[dict]:
    rows = CustomerBadge.objects.filter(merchant=merchant, customer=customer).select_related("badge").order_by("earned_at", "pk")
    return [{"code": row.badge.code, "name": row.badge.name, "earned_at": row.earned_at} for row in rows]


def badge_stats(*, merchant: Merchant) -> dict[int, int]:
    return dict(CustomerBadge.objects.filter(merchant=merchant).values("badge_id").annotate(n=Count("id")).values_list("badge_id", "n"))



def leaderboard_configure(*, merchant: Merchant, enabled: bool, metric: str):
    from campaigns.models import LeaderboardSettings

    settings, _created = LeaderboardSettings.objects.update_or_create(merchant=merchant, defaults={"enabled": enabled, "metric": metric})
    return settings


def leaderboard_join(*, customer: Customer, join: bool) -> None:
    """Opt in to (or out of) the monthly leaderboard; doing it twice changes nothing."""
    from campaigns.models import LeaderboardOptIn

    if join:
        LeaderboardOptIn.objects.get_or_create(customer=customer, defaults={"merchant_id": customer.merchant_id})
    else:
        LeaderboardOptIn.objects.filter(customer=customer).delete()
