"""What promotions read and write around one checkout: the state a calculation needs, the commit's
records, and a full return's reversal. Plain data in and out; `promotions.pipeline` turns it into the
pricing core's types.

Reads stay constant in number whatever the number of promotions: the merchant's promotions are
compiled once per process and reused while their version number (bumped by every promotion write)
is unchanged; counters, the customer's uses, offers, gifts, stamps and codes are one query each.

At commit (`for_commit=True`) the rows that must not be overspent are locked in pk order before
they are read: the counters of promotions with limits, the draft's codes, the customer's offers and
gifts. Two tills committing at once therefore price one after the other, and the writer's guarded
updates (`... WHERE used_at IS NULL`) refuse anything a bug could still let through.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, IntegerField, Q, Value, When
from django.db.models.functions import Greatest, Upper
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError
from accounts.models import Customer, Merchant
from loyalty.models import Receipt
from promotions.models import MONEY, Gift, Offer, PromoCode, Promotion, PromotionUse
from promotions.selectors import stamp_counts
from promotions.services.promotions import promotion_as_dict, promotions_version

_CACHE: dict[int, tuple[int, tuple[dict, ...]]] = {}
_CACHE_LOCK = threading.Lock()


def promotions_compiled(*, merchant: Merchant) -> tuple[dict, ...]:
    """The merchant's active promotions as API dicts, from the process cache while their version holds.

    One query when nothing changed (the version), two more after a change. The counters in these dicts
    are stale by design: `checkout_state_gather` reads them fresh.
    """
    version = promotions_version(merchant=merchant)
    cached = _CACHE.get(merchant.pk)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = Promotion.objects.filter(merchant=merchant, active=True).order_by("-priority", "code")
    compiled = []
    for promotion in rows:
        promotion.merchant = merchant
        compiled.append(promotion_as_dict(promotion) | {"_pk": promotion.pk})
    with _CACHE_LOCK:
        _CACHE[merchant.pk] = (version, tuple(compiled))
    return tuple(compiled)


def promotions_cache_clear() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()


@dataclass(frozen=True)
class CodeFound:
    """A draft's code as found: `promotion` when accepted so far, else the rejection `reason`."""

    code: str
    promotion: str | None = None
    reason: str | None = None
    pk: int | None = None


@dataclass
class CheckoutState:
    """Everything the promotion steps need about one draft, gathered once."""

    promotions: list[dict] = field(default_factory=list)  # API dicts with fresh counters
    customer_uses: dict[str, int] = field(default_factory=dict)  # promotion code -> receipts of this customer
    offers: dict[str, Offer] = field(default_factory=dict)  # promotion code -> the live offer ending soonest
    gifts: list[Gift] = field(default_factory=list)
    stamps: dict[str, int] = field(default_factory=dict)  # promotion code -> stamps since the last reward
    previous_purchase: Decimal | None = None
    first_purchase: bool = False
    codes: list[CodeFound] = field(default_factory=list)
    tier: str | None = None


def checkout_state_gather(*, merchant: Merchant, customer: Customer | None, purchased_at: datetime, codes=(), tier: str | None = None,
                          for_commit: bool = False, now: datetime | None = None) -> CheckoutState:
    """The state of one draft. With `for_commit`, counters, codes, offers and gifts are locked first (pk order)."""
    compiled = promotions_compiled(merchant=merchant)
    state = CheckoutState(tier=tier)
    if not compiled and not codes and customer is None:
        return state
    by_pk = {item["_pk"]: item for item in compiled}
    limited = [pk for pk, item in by_pk.items() if any(value is not None for value in item["limits"].values())]
    fresh: dict[int, dict] = {}
    if limited:
        counters = Promotion.objects.filter(merchant=merchant, pk__in=limited).order_by("pk")
        if for_commit:
            counters = counters.select_for_update()
        fresh = {row["pk"]: row for row in counters.values("pk", "uses", "spent_amount", "spent_points")}
    for pk, item in by_pk.items():
        promotion = {key: value for key, value in item.items() if key != "_pk"}
        if pk in fresh:
            promotion.update(uses=fresh[pk]["uses"], spent_amount=str(fresh[pk]["spent_amount"]), spent_points=fresh[pk]["spent_points"])
        state.promotions.append(promotion)
    code_of = {pk: item["code"] for pk, item in by_pk.items()}
    if customer is not None:
        per_customer = [pk for pk, item in by_pk.items() if item["limits"].get("per_customer") is not None]
        if per_customer:
            rows = (PromotionUse.objects.filter(merchant=merchant, customer=customer, promotion_id__in=per_customer, returned_at__isnull=True)
                    .values("promotion_id").annotate(n=Count("pk")))
            state.customer_uses = {code_of[row["promotion_id"]]: row["n"] for row in rows}
        offers = (Offer.objects.filter(merchant=merchant, customer=customer, withdrawn_at__isnull=True)
                  .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=purchased_at)).filter(Q(uses_left__isnull=True) | Q(uses_left__gt=0))
                  .select_related("promotion").order_by("pk"))
        gifts = (Gift.objects.filter(merchant=merchant, customer=customer, status=Gift.Status.OPEN)
                 .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=purchased_at)).order_by("pk"))
        if for_commit:
            offers = offers.select_for_update(of=("self",))
            gifts = gifts.select_for_update()
        for offer in sorted(offers, key=lambda item: (item.ends_at is None, item.ends_at or purchased_at, item.pk)):
            state.offers.setdefault(offer.promotion.code, offer)
        state.gifts = list(gifts)
        if any((item["conditions"] or {}).get("previous_purchase_min") is not None or (item["conditions"] or {}).get("first_purchase")
               for item in compiled):
            earlier = Receipt.objects.filter(merchant=merchant, customer=customer, purchased_at__lt=purchased_at)
            latest = earlier.order_by("-purchased_at", "-pk").values("subtotal", "discount", "refunded_cost").first()
            if latest is not None:
                state.previous_purchase = latest["subtotal"] - latest["discount"] - latest["refunded_cost"]
            state.first_purchase = not earlier.filter(fully_refunded=False).exists()
        cards = [item for item in compiled if (item["conditions"] or {}).get("every_nth")]
        if cards:
            state.stamps = stamp_counts(merchant=merchant, customer=customer, promotions=cards, now=purchased_at)
    if codes:
        state.codes = codes_judge(merchant=merchant, customer=customer, codes=codes, purchased_at=purchased_at, for_commit=for_commit)
    return state


def codes_judge(*, merchant: Merchant, customer: Customer | None, codes, purchased_at: datetime, for_commit: bool = False) -> list[CodeFound]:
    """Each of the draft's codes, in its order: accepted so far (with its promotion) or why not.

    `promo_code_not_applicable` (the promotion's other rules fail) is for the pricing step to decide.
    """
    wanted = []
    for code in codes:
        if isinstance(code, str) and code.strip() and code.strip().upper() not in [item.upper() for item in wanted]:
            wanted.append(code.strip())
    rows = (PromoCode.objects.filter(merchant=merchant).annotate(upper=Upper("code")).filter(upper__in=[code.upper() for code in wanted])
            .select_related("promotion").order_by("pk"))
    if for_commit:
        rows = rows.select_for_update(of=("self",))
    found = {row.upper: row for row in rows}
    used_by_customer: dict[int, int] = {}
    public_limited = [row.pk for row in found.values() if row.kind == PromoCode.Kind.PUBLIC and row.per_customer is not None]
    if customer is not None and public_limited:
        used_by_customer = dict(PromotionUse.objects.filter(merchant=merchant, customer=customer, code_id__in=public_limited,
                                                            returned_at__isnull=True)
                                .values("code_id").annotate(n=Count("pk")).values_list("code_id", "n"))
    out = []
    for code in wanted:
        row = found.get(code.upper())
        if row is None:
            out.append(CodeFound(code=code, reason="promo_code_unknown"))
        elif not row.promotion.active or (row.expires_at is not None and row.expires_at <= purchased_at):
            out.append(CodeFound(code=code, reason="promo_code_expired", pk=row.pk))
        elif row.kind == PromoCode.Kind.PERSONAL and row.used_at is not None:
            out.append(CodeFound(code=code, reason="promo_code_used", pk=row.pk))
        elif row.kind == PromoCode.Kind.PERSONAL and row.customer_id is not None and (customer is None or row.customer_id != customer.pk):
            out.append(CodeFound(code=code, reason="promo_code_not_yours", pk=row.pk))
        elif row.kind == PromoCode.Kind.PUBLIC and row.max_uses is not None and row.used_count >= row.max_uses:
            out.append(CodeFound(code=code, reason="promo_code_used", pk=row.pk))
        elif row.kind == PromoCode.Kind.PUBLIC and row.per_customer is not None and used_by_customer.get(row.pk, 0) >= row.per_customer:
            out.append(CodeFound(code=code, reason="promo_code_used", pk=row.pk))
        else:
            out.append(CodeFound(code=code, promotion=row.promotion.code, pk=row.pk))
    return out


# ---------------------------------------------------------------- the commit's records


@dataclass(frozen=True)
class UseRecord:
    promotion: str
    amount: Decimal
    points: int
    codes: tuple[str, ...] = ()
    offer: bool = False


@dataclass(frozen=True)
class GrantRecord:
    promotion: str
    days: int | None
    uses: int | None


def checkout_commit_record(*, merchant: Merchant, customer: Customer | None, receipt: Receipt, uses: list[UseRecord],
                           gifts: list[str], grants: list[GrantRecord], now: datetime) -> None:
    """Write what a committed receipt did, inside the commit's transaction (the loader holds the locks).

    Raises:
        ApplicationError: promo_code_used / gift_used / promotion_limit_reached when a guarded update finds
            the row already taken (parallel commits); the whole commit rolls back.
    """
    if not (uses or gifts or grants):
        return
    promotions = {row.code: row for row in Promotion.objects.filter(merchant=merchant, code__in={use.promotion for use in uses}
                                                                    | {grant.promotion for grant in grants})}
    rows = []
    unguarded = []  # promotions without a total or budget limit: their counters move in one UPDATE below
    for use in uses:
        promotion = promotions[use.promotion]
        limits = promotion.limits or {}
        guard = Q(pk=promotion.pk)
        if limits.get("total_uses") is not None:
            guard &= Q(uses__lt=limits["total_uses"])
        if limits.get("budget_amount") is not None:
            guard &= Q(spent_amount__lte=Decimal(limits["budget_amount"]) - use.amount)
        if limits.get("budget_points") is not None:
            guard &= Q(spent_points__lte=limits["budget_points"] - use.points)
        if not any(limits.get(name) is not None for name in ("total_uses", "budget_amount", "budget_points")):
            unguarded.append((promotion.pk, use))
        else:
            updated = Promotion.objects.filter(guard).update(uses=F("uses") + 1, spent_amount=F("spent_amount") + use.amount,
                                                             spent_points=F("spent_points") + use.points)
            if not updated:
                raise ApplicationError("promotion_limit_reached", _("A limit of this promotion was reached by another sale; price the receipt again."))
        code_pk = _codes_close(merchant=merchant, customer=customer, receipt=receipt, codes=use.codes, now=now)
        if use.offer and customer is not None:
            _offer_use(merchant=merchant, customer=customer, promotion=promotion, now=now)
        rows.append(PromotionUse(merchant=merchant, promotion=promotion, customer=customer, receipt=receipt, code_id=code_pk,
                                 amount=use.amount, points=use.points, at=now))
    if unguarded:
        # One statement whatever the number of promotions the receipt used (pk order, as the loader locks).
        unguarded.sort(key=lambda item: item[0])
        Promotion.objects.filter(pk__in=[pk for pk, _use in unguarded]).update(
            uses=F("uses") + 1,
            spent_amount=F("spent_amount") + Case(*[When(pk=pk, then=Value(use.amount)) for pk, use in unguarded],
                                                  default=Value(Decimal("0")), output_field=DecimalField(**MONEY)),
            spent_points=F("spent_points") + Case(*[When(pk=pk, then=Value(use.points)) for pk, use in unguarded],
                                                  default=Value(0), output_field=IntegerField()),
        )
    PromotionUse.objects.bulk_create(rows)
    for gift_id in gifts:
        closed = Gift.objects.filter(merchant=merchant, customer=customer, pk=gift_id, status=Gift.Status.OPEN).update(
            status=Gift.Status.USED, receipt=receipt, used_at=now)
        if not closed:
            raise ApplicationError("gift_used", _("This gift was already given at the till."))
    if customer is not None and grants:
        Offer.objects.bulk_create([
            Offer(merchant=merchant, customer=customer, promotion=promotions[grant.promotion], granted_at=now,
                  ends_at=receipt.purchased_at + timedelta(days=grant.days) if grant.days else None, uses_left=grant.uses,
                  source_receipt=receipt)
            for grant in grants if grant.promotion in promotions
        ])


def _codes_close(*, merchant: Merchant, customer: Customer | None, receipt: Receipt, codes, now: datetime) -> int | None:
    """Mark the codes used: a single-use code once only (guarded), a public code counted. Returns the first code's pk."""
    first = None
    for code in codes:
        row = PromoCode.objects.annotate(upper=Upper("code")).filter(merchant=merchant, upper=code.strip().upper()).first()
        if row is None:
            raise ApplicationError("promo_code_unknown", _("This promo code is unknown."))
        if row.kind == PromoCode.Kind.PERSONAL:
            closed = PromoCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now, receipt=receipt, used_count=1)
        else:
            guard = Q(pk=row.pk) if row.max_uses is None else Q(pk=row.pk, used_count__lt=row.max_uses)
            closed = PromoCode.objects.filter(guard).update(used_count=F("used_count") + 1)
        if not closed:
            raise ApplicationError("promo_code_used", _("This promo code has already been used."))
        first = first or row.pk
    return first


def _offer_use(*, merchant: Merchant, customer: Customer, promotion: Promotion, now: datetime) -> None:
    offer = (Offer.objects.filter(merchant=merchant, customer=customer, promotion=promotion, withdrawn_at__isnull=True)
             .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).filter(Q(uses_left__isnull=True) | Q(uses_left__gt=0))
             .order_by(F("ends_at").asc(nulls_last=True), "pk").first())
    if offer is None:
        return
    if offer.uses_left is None:
        Offer.objects.filter(pk=offer.pk).update(used=F("used") + 1)
        return
    if not Offer.objects.filter(pk=offer.pk, uses_left__gt=0).update(uses_left=F("uses_left") - 1, used=F("used") + 1):
        raise ApplicationError("offer_used", _("This offer was used up by another sale; price the receipt again."))


def checkout_refund_reverse(*, merchant: Merchant, receipt: Receipt, fully_returned: bool, now: datetime) -> None:
    """A full return gives back each promotion's use, amount and points, and withdraws the unused offers the receipt unlocked."""
    if not fully_returned:
        return
    uses = list(PromotionUse.objects.select_for_update().filter(merchant=merchant, receipt=receipt, returned_at__isnull=True).order_by("promotion_id"))
    for use in uses:
        Promotion.objects.filter(pk=use.promotion_id).update(uses=Greatest(F("uses") - 1, 0),
                                                             spent_amount=Greatest(F("spent_amount") - use.amount, Decimal("0")),
                                                             spent_points=Greatest(F("spent_points") - use.points, 0))
    if uses:
        PromotionUse.objects.filter(pk__in=[use.pk for use in uses]).update(returned_at=now)
    Offer.objects.filter(merchant=merchant, source_receipt=receipt, used=0, withdrawn_at__isnull=True).update(withdrawn_at=now)
