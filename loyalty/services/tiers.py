"""Tiers: definitions, the recorded tier of each customer, upgrades at commit, the downgrade job.

Policy (README "Tiers"):
- A customer is in the highest tier whose entry conditions they meet; once reached they keep it
  while its `keep` conditions hold. `keep: null` means kept for good, with one exception: a tier
  whose qualifying purchases were returned is lost — the job checks that the customer's all-time
  figures, net of returns, still meet the tier's entry.
- Upgrades are recorded inside the commit that earns them (the crossing receipt is priced at the
  old tier). Downgrades, ended overrides and tiers reached without a purchase (a new tier with
  lower thresholds, a referral) are recorded by `recalculate_tiers`.
- One SQL statement decides the target tier of every customer of a merchant (per-customer
  aggregates joined in once per window, then a CASE over the tiers): the same statement, narrowed
  to one customer, serves the commit, and unnarrowed a million customers in the job.
"""
from __future__ import annotations

import contextvars
import json
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, NotFound, ValidationError
from accounts.inputs import InputError, decimal_parse
from accounts.models import Customer, Merchant, User
from accounts.services import audit_record
from loyalty.checkout import TierRules
from loyalty.models import CustomerMessage, PointsAccount, Receipt, Tier, TierChange
from loyalty.services import webhooks
from loyalty.texts import text_render

MONEY_CONDITIONS = ("total_spend", "single_receipt")
COUNT_CONDITIONS = ("purchases", "referrals")
CONDITIONS = MONEY_CONDITIONS + COUNT_CONDITIONS
TIER_FIELDS = ("code", "name", "rank", "accrual_percent", "max_redeem_percent", "discount_percent", "entry", "window_days", "keep")


# ---------------------------------------------------------------- validation


def _conditions_clean(value, *, field: str, errors: dict, nullable: bool):
    if value is None:
        if nullable:
            return None
        errors[field] = [_("Send an object of conditions, or {} for none.")]
        return None
    if not isinstance(value, dict):
        errors[field] = [_("Send an object such as {\"total_spend\": \"10000.00\"}.")]
        return None
    clean = {}
    for key, raw in value.items():
        name = f"{field}.{key}"
        if key not in CONDITIONS:
            errors[name] = [_("Unknown condition; use total_spend, purchases, single_receipt or referrals.")]
            continue
        if key in MONEY_CONDITIONS:
            try:
                amount = decimal_parse(raw, places=2)
            except InputError as exc:
                errors[name] = [exc.message]
                continue
            if amount < 0:
                errors[name] = [_("Send a non-negative amount with at most two decimal places.")]
                continue
            clean[key] = str(amount)
        else:
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0 or raw > 10**9:
                errors[name] = [_("Send a whole number, zero or more.")]
                continue
            clean[key] = raw
    return clean


def _percent_clean(value, *, field: str, errors: dict, nullable: bool):
    if value is None:
        if nullable:
            return None
        errors[field] = [_("This field cannot be null.")]
        return None
    try:
        number = decimal_parse(value, places=2, integer_digits=3)
    except InputError as exc:
        errors[field] = [exc.message]
        return None
    if number < 0 or number > 100:
        errors[field] = [_("Send a percentage from 0 to 100 with at most two decimal places.")]
        return None
    return number


def tier_validate(*, merchant: Merchant, data, tier: Tier | None = None) -> dict:
    """Check tier fields (all required ones on create, any subset on update).

    Raises:
        ValidationError: each bad field named; duplicate code or rank; unknown condition.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    clean: dict = {}
    for key in set(data) - set(TIER_FIELDS):
        errors[key] = [_("Unknown field.")]
    if tier is None:
        for key in ("code", "name", "rank"):
            if key not in data:
                errors[key] = [_("This field is required.")]
    others = Tier.objects.filter(merchant=merchant)
    if tier is not None:
        others = others.exclude(pk=tier.pk)
    if "code" in data:
        code = data["code"]
        if not isinstance(code, str) or not code.strip() or len(code) > 32 or not all(ch.isalnum() or ch in "-_" for ch in code):
            errors["code"] = [_("Use 1 to 32 letters, digits, - or _.")]
        elif others.filter(code=code.strip()).exists():
            errors["code"] = [_("A tier with this code already exists.")]
        else:
            clean["code"] = code.strip()
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors["name"] = [_("Send a name of 1 to 100 characters.")]
        else:
            clean["name"] = name.strip()
    if "rank" in data:
        rank = data["rank"]
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0 or rank > 1000:
            errors["rank"] = [_("Send a whole number from 0 to 1000.")]
        elif others.filter(rank=rank).exists():
            errors["rank"] = [_("Another tier has this rank.")]
        else:
            clean["rank"] = rank
    for key in ("accrual_percent", "max_redeem_percent"):
        if key in data:
            value = _percent_clean(data[key], field=key, errors=errors, nullable=True)
            if key not in errors:
                clean[key] = value
    if "discount_percent" in data:
        value = _percent_clean(data["discount_percent"], field="discount_percent", errors=errors, nullable=False)
        if "discount_percent" not in errors:
            clean["discount_percent"] = value
    if "entry" in data:
        value = _conditions_clean(data["entry"], field="entry", errors=errors, nullable=False)
        if value is not None:
            clean["entry"] = value
    if "keep" in data:
        value = _conditions_clean(data["keep"], field="keep", errors=errors, nullable=True)
        if not any(key.startswith("keep") for key in errors):
            clean["keep"] = value
    if "window_days" in data:
        window = data["window_days"]
        if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1 or window > 36_500):
            errors["window_days"] = [_("Send a whole number of days, 1 or more, or null for all time.")]
        else:
            clean["window_days"] = window
    if errors:
        raise ValidationError(errors)
    return clean


# ---------------------------------------------------------------- conditions as SQL


def window_start(*, merchant: Merchant, window_days: int | None, now: datetime) -> datetime | None:
    """The first moment that counts: local midnight N-1 days before today, in the merchant's timezone."""
    if not window_days:
        return None
    zone = ZoneInfo(merchant.timezone)
    first_day = now.astimezone(zone).date() - timedelta(days=window_days - 1)
    return datetime.combine(first_day, time.min, tzinfo=zone)


def _db_value(field, value):
    return field.get_db_prep_value(value, connection)


def _stamp(moment: datetime):
    # Raw SQL gets moments in the form the ORM stores them (SQLite compares text).
    return connection.ops.adapt_datetimefield_value(moment)


class _Metrics:
    """The per-customer aggregates a set of tiers needs, one CTE per distinct window."""

    def __init__(self, *, merchant: Merchant, now: datetime, customer_id=None):
        self.merchant = merchant
        self.now = now
        self.customer_id = customer_id
        self.windows: dict = {}  # since (or None) -> index
        self.needs: dict = {}  # index -> {"receipts", "friends"}

    def _window(self, since) -> int:
        if since not in self.windows:
            self.windows[since] = len(self.windows)
            self.needs[self.windows[since]] = set()
        return self.windows[since]

    def condition(self, conditions: dict, since) -> tuple[str, list]:
        """SQL that is true when a customer meets every condition (TRUE for none)."""
        index = self._window(since)
        parts, params = [], []
        for key, raw in conditions.items():
            threshold = Decimal(raw) if key in MONEY_CONDITIONS else int(raw)
            if threshold <= 0:
                continue
            if key == "referrals":
                self.needs[index].add("friends")
                parts.append(f"COALESCE(f{index}.friends, 0) >= %s")
                params.append(threshold)
                continue
            self.needs[index].add("receipts")
            column = {"total_spend": "spend", "purchases": "purchases", "single_receipt": "single"}[key]
            if key in MONEY_CONDITIONS:
                parts.append(f"COALESCE(m{index}.{column}, 0) >= CAST(%s AS NUMERIC)")
                params.append(str(threshold))
            else:
                parts.append(f"COALESCE(m{index}.{column}, 0) >= %s")
                params.append(threshold)
        return ("(" + " AND ".join(parts) + ")" if parts else "(1 = 1)"), params

    def ctes(self) -> tuple[list[str], list, list[str]]:
        """WITH parts, their params, and the LEFT JOINs onto the accounts table `a`."""
        customer = _db_value(Receipt._meta.get_field("customer"), self.customer_id) if self.customer_id is not None else None
        sources = {
            # need: (alias prefix, aggregates, table, the customer column, the date column, extra filter)
            "receipts": ("m", "ROUND(SUM(subtotal - discount - refunded_cost), 2) AS spend, COUNT(*) AS purchases, "
                              "MAX(subtotal - discount - refunded_cost) AS single",
                         "loyalty_receipt", "customer_id", "purchased_at", " AND NOT fully_refunded"),
            "friends": ("f", "COUNT(*) AS friends", "accounts_customer", "referred_by_id", "created_at", ""),
        }
        ctes, params, joins = [], [], []
        for since, index in self.windows.items():
            for need in sorted(self.needs[index]):
                prefix, aggregates, table, who, when, extra = sources[need]
                sql = (f"SELECT {who} AS customer_id, {aggregates} FROM {table} "
                       f"WHERE merchant_id = %s AND {who} IS NOT NULL AND {when} <= %s{extra}")
                params += [self.merchant.pk, _stamp(self.now)]
                if since is not None:
                    sql += f" AND {when} >= %s"
                    params.append(_stamp(since))
                if customer is not None:
                    sql += f" AND {who} = %s"
                    params.append(customer)
                ctes.append(f"{prefix}{index} AS ({sql} GROUP BY {who})")
                joins.append(f"LEFT JOIN {prefix}{index} ON {prefix}{index}.customer_id = a.customer_id")
        return ctes, params, joins


def tier_targets_sql(*, merchant: Merchant, tiers: list[Tier], now: datetime, upgrades_only: bool = False, customer_id=None,
                     in_tier_id=None, skip_overridden: bool = False, changed_only: bool = False) -> tuple[str, list]:
    """SQL selecting (customer_id, tier_id, target) for the merchant's accounts: the tier each should be in.

    A customer's target is the highest tier whose entry they meet or, for the tier they are in, whose
    keep conditions hold (`keep: null`: the all-time entry, net of returns). The aggregates are joined
    in once per window, so a million customers are judged in one pass over receipts, and `customer_id`
    narrows every part to one customer (the commit path).
    """
    base = tier_base(merchant=merchant, tiers=tiers)
    metrics = _Metrics(merchant=merchant, now=now, customer_id=customer_id)
    whens, case_params = [], []
    for tier in sorted(tiers, key=lambda t: t.rank, reverse=True):
        since = window_start(merchant=merchant, window_days=tier.window_days, now=now)
        entry_sql, entry_params = metrics.condition(tier.entry, since)
        if upgrades_only:
            whens.append(f"WHEN {entry_sql} THEN %s")
            case_params += [*entry_params, tier.pk]
            continue
        kept_sql, kept_params = metrics.condition(tier.entry if tier.keep is None else tier.keep, None if tier.keep is None else since)
        whens.append(f"WHEN {entry_sql} OR (a.tier_id = %s AND {kept_sql}) THEN %s")
        case_params += [*entry_params, tier.pk, *kept_params, tier.pk]
    ctes, cte_params, joins = metrics.ctes()
    case = "CASE " + " ".join(whens) + " ELSE %s END" if whens else "%s"
    case_params.append(base.pk if base else None)
    where, where_params = ["a.merchant_id = %s"], [merchant.pk]
    if customer_id is not None:
        where.append("a.customer_id = %s")
        where_params.append(_db_value(PointsAccount._meta.get_field("customer"), customer_id))
    if in_tier_id is not None:
        where.append("a.tier_id = %s")
        where_params.append(in_tier_id)
    if skip_overridden:
        where.append("a.override_tier_id IS NULL")
    inner = (("WITH " + ", ".join(ctes) + " ") if ctes else "") + (
        f"SELECT a.customer_id AS customer_id, a.tier_id AS tier_id, {case} AS target "
        f"FROM loyalty_pointsaccount a {' '.join(joins)} WHERE {' AND '.join(where)}"
    )
    params = [*cte_params, *case_params, *where_params]
    if changed_only:
        return f"SELECT t.customer_id, t.tier_id, t.target FROM ({inner}) t WHERE t.target IS NOT NULL AND (t.tier_id IS NULL OR t.target <> t.tier_id)", params
    return inner, params


def tier_target_of(*, merchant: Merchant, tiers: list[Tier], now: datetime, customer_id, upgrades_only: bool = False):
    """The target tier id of one customer (see tier_targets_sql)."""
    sql, params = tier_targets_sql(merchant=merchant, tiers=tiers, now=now, upgrades_only=upgrades_only, customer_id=customer_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[2] if row else None


def tier_base(*, merchant: Merchant, tiers: list[Tier] | None = None) -> Tier | None:
    """The lowest-ranked tier with no entry conditions: where every new customer starts."""
    tiers = tiers if tiers is not None else list(Tier.objects.filter(merchant=merchant).order_by("rank"))
    return next((tier for tier in tiers if not tier.entry), None)


def tier_start_conflict(*, merchant: Merchant, data: dict, tier: Tier | None = None) -> Tier | None:
    """The start tier a proposed tier without entry conditions would sit above, else None.

    A customer is in the highest tier they qualify for, so a tier without entry conditions above
    the start tier takes every customer and leaves the start tier empty. The back-office editor
    refuses that; below the start tier it is the way to add a new start tier (docs/api.md: rank 0).
    """
    entry = data.get("entry", tier.entry if tier is not None else {})
    rank = data.get("rank", tier.rank if tier is not None else None)
    if entry or rank is None:
        return None
    others = Tier.objects.filter(merchant=merchant, entry={}, rank__lt=rank).order_by("rank")
    if tier is not None:
        others = others.exclude(pk=tier.pk)
    return others.first()


def tier_starts_shadowed(*, merchant: Merchant) -> list[Tier]:
    """Tiers without entry conditions that a higher one without conditions leaves empty (lowest first)."""
    open_tiers = list(Tier.objects.filter(merchant=merchant, entry={}).order_by("rank"))
    return open_tiers[:-1]


def tier_rules(tier: Tier | None) -> TierRules | None:
    if tier is None:
        return None
    return TierRules(code=tier.code, name=tier.name, accrual_percent=tier.accrual_percent,
                     max_redeem_percent=tier.max_redeem_percent, discount_percent=tier.discount_percent)



# ---------------------------------------------------------------- definitions


@transaction.atomic
def tier_create(*, merchant: Merchant, data, actor: User | None = None) -> Tier:
    clean = tier_validate(merchant=merchant, data=data)
    clean.setdefault("entry", {})
    tier = Tier.objects.create(merchant=merchant, **clean)
    audit_record(merchant=merchant, actor=actor, action="tier.created", target=tier.code, data={"rank": tier.rank, "name": tier.name})
    return tier


@transaction.atomic
def tier_update(*, tier: Tier, data, actor: User | None = None) -> Tier:
    """Raises: ValidationError, including taking entry conditions from the last tier without them."""
    clean = tier_validate(merchant=tier.merchant, data=data, tier=tier)
    if clean.get("entry") and not tier.entry:
        if not Tier.objects.filter(merchant=tier.merchant, entry={}).exclude(pk=tier.pk).exists():
            raise ValidationError({"entry": [_("This is the only tier without entry conditions; new customers need one to start in.")]})
    def plain(value):
        return str(value) if isinstance(value, Decimal) else value

    changes = {key: [plain(getattr(tier, key)), plain(value)] for key, value in clean.items() if plain(getattr(tier, key)) != plain(value)}
    for key, value in clean.items():
        setattr(tier, key, value)
    tier.save()
    audit_record(merchant=tier.merchant, actor=actor, action="tier.updated", target=tier.code, data={"name": tier.name, "changes": changes})
    return tier


@transaction.atomic
def tier_delete(*, tier: Tier, actor: User | None = None, now: datetime | None = None) -> int:
    """Delete a tier; its customers move to the tier they now qualify for. Returns how many moved.

    Raises:
        ApplicationError: tier_required — the last tier without entry conditions cannot go.
    """
    now = now or timezone.now()
    merchant = tier.merchant
    if not tier.entry and not Tier.objects.filter(merchant=merchant, entry={}).exclude(pk=tier.pk).exists():
        raise ApplicationError("tier_required", _("This is the last tier without entry conditions; every customer needs a tier to start in."))
    tiers = list(Tier.objects.filter(merchant=merchant).exclude(pk=tier.pk).order_by("rank"))
    PointsAccount.objects.filter(merchant=merchant, override_tier=tier).update(override_tier=None, override_until=None, override_reason="")
    moved = _apply_targets(
        merchant=merchant, in_tier=tier, tiers=tiers, now=now, reason=TierChange.Reason.TIER_DELETED, from_name_fallback=tier.name,
    )
    audit_record(merchant=merchant, actor=actor, action="tier.deleted", target=tier.code, data={"moved": moved, "name": tier.name})
    tier.delete()
    return moved


# ---------------------------------------------------------------- recorded tier changes


def _change_message(*, merchant: Merchant, to_name: str, upgrade: bool) -> tuple[str, str, str, dict]:
    """Title and body in the merchant's language (kept as text), and the code and parameters the
    portal and the email render them from in the customer's language (loyalty.texts)."""
    code, params = ("tier.up" if upgrade else "tier.down"), {"tier": to_name}
    title = text_render(f"{code}.title", params, language=merchant.language)
    body = text_render(f"{code}.body", params, language=merchant.language)
    return title, body, code, params


def tier_record_change(*, customer: Customer, account: PointsAccount, to_tier: Tier | None, reason: str, now: datetime,
                       staff: User | None = None, note: str = "") -> TierChange:
    """Record one customer's change, tell them in the portal, and email them if they consented."""
    from_tier = account.effective_tier
    change = TierChange.objects.create(
        merchant_id=customer.merchant_id, customer=customer, from_tier=from_tier, to_tier=to_tier,
        from_name=from_tier.name if from_tier else "", to_name=to_tier.name if to_tier else "",
        reason=reason, note=note, staff=staff, at=now,
    )
    upgrade = (to_tier.rank if to_tier else -1) > (from_tier.rank if from_tier else -1)
    title, body, code, params = _change_message(merchant=customer.merchant, to_name=change.to_name, upgrade=upgrade)
    message = CustomerMessage.objects.create(
        merchant_id=customer.merchant_id, customer=customer, title=title, body=body, code=code, params=params, at=now,
    )
    if customer.consent_email and customer.email and not _EMAILS_HELD.get():
        transaction.on_commit(lambda: _enqueue_emails([message.pk]))
    webhooks.event_emit(merchant=customer.merchant_id, name="tier.changed", payload=lambda: webhooks.tier_change_payload(change))
    return change


_EMAILS_HELD = contextvars.ContextVar("tier_emails_held", default=False)


@contextmanager
def tier_emails_held():
    """Inside this block tier changes are recorded with their portal messages, but no email is queued.

    For history that is not news (seed_demo's six simulated months): nothing reaches the job queue.
    """
    token = _EMAILS_HELD.set(True)
    try:
        yield
    finally:
        _EMAILS_HELD.reset(token)


def _enqueue_emails(message_ids: list[int]) -> None:
    from django_q.tasks import async_task

    async_task("loyalty.jobs.customer_messages_email", message_ids)


def tier_upgrade_after_commit(*, customer: Customer, account: PointsAccount, now: datetime) -> TierChange | None:
    """Record an upgrade the just-written receipt earned. The caller holds the account lock."""
    if getattr(account, "higher_tiers", True) is False:
        return None  # account_lock found no tier above the recorded one: nothing to reach, nothing to read
    tiers = list(Tier.objects.filter(merchant_id=customer.merchant_id).order_by("rank"))
    current_rank = next((tier.rank for tier in tiers if tier.pk == account.tier_id), -1)
    if not any(tier.rank > current_rank for tier in tiers):
        return None  # already at the top: nothing to reach
    target_id = tier_target_of(merchant=customer.merchant, tiers=tiers, now=now, customer_id=customer.pk, upgrades_only=True)
    by_id = {tier.pk: tier for tier in tiers}
    target = by_id.get(target_id)
    current = by_id.get(account.tier_id)
    if target is None or (current is not None and target.rank <= current.rank):
        return None
    change = None
    if not account.override_tier_id:
        change = tier_record_change(customer=customer, account=account, to_tier=target, reason=TierChange.Reason.UPGRADE, now=now)
    account.tier = target
    account.tier_since = now
    account.save(update_fields=["tier", "tier_since"])
    return change


def _apply_targets(*, merchant: Merchant, tiers: list[Tier], now: datetime, reason: str | None = None, in_tier: Tier | None = None,
                   from_name_fallback: str = "") -> int:
    """Move accounts to their target tier, set-based: the changes, the messages, then the accounts.

    All of a merchant's accounts without an override whose target differs (the job: each change is
    an upgrade or a downgrade by rank), or every account in `in_tier` (a tier being deleted, `reason`).
    """
    if not tiers:
        return 0
    # Overrides hide the computed tier from the job (recorded when they end); a deleted tier moves everyone in it.
    select_sql, select_params = tier_targets_sql(
        merchant=merchant, tiers=tiers, now=now, in_tier_id=in_tier.pk if in_tier else None,
        skip_overridden=in_tier is None, changed_only=True,
    )
    names = {tier.pk: tier.name for tier in tiers}
    name_case = "CASE " + " ".join("WHEN t.target = %s THEN %s" for _ in names) + " END"
    name_params = [value for pk, name in names.items() for value in (pk, name)]
    ranks = {tier.pk: tier.rank for tier in tiers}
    if reason is None:
        rank_case = "CASE " + " ".join("WHEN t.target = %s THEN %s" for _ in ranks) + " END"
        reason_sql = f"CASE WHEN f.rank IS NULL OR {rank_case} > f.rank THEN %s ELSE %s END"
        reason_params = [value for pk, rank in ranks.items() for value in (pk, rank)] + [TierChange.Reason.UPGRADE, TierChange.Reason.DOWNGRADE]
        run_reasons = [TierChange.Reason.UPGRADE, TierChange.Reason.DOWNGRADE]
    else:
        reason_sql, reason_params, run_reasons = "%s", [reason], [reason]
    stamp = _stamp(now)
    in_reasons = ", ".join(["%s"] * len(run_reasons))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO loyalty_tierchange (merchant_id, customer_id, from_tier_id, to_tier_id, from_name, to_name, reason, note, at)
            SELECT %s, t.customer_id, t.tier_id, t.target, COALESCE(f.name, %s), {name_case}, {reason_sql}, '', %s
            FROM ({select_sql}) t LEFT JOIN loyalty_tier f ON f.id = t.tier_id
            """,
            [merchant.pk, from_name_fallback, *name_params, *reason_params, stamp, *select_params],
        )
        rows = cursor.rowcount
        if rows:
            _messages_for_run(merchant=merchant, tiers=tiers, now=now, reasons=run_reasons)
            webhooks.tier_changes_emit(merchant=merchant, at=now, reasons=run_reasons)
            # UPDATE … FROM joins the run's changes once (PostgreSQL and SQLite 3.33+ alike); a correlated
            # subquery per account could be planned as a scan per row over a table this run just filled.
            cursor.execute(
                f"""
                UPDATE loyalty_pointsaccount SET tier_since = %s, tier_id = tc.to_tier_id
                FROM loyalty_tierchange tc
                WHERE loyalty_pointsaccount.merchant_id = %s AND tc.merchant_id = %s AND tc.at = %s
                  AND tc.reason IN ({in_reasons}) AND tc.customer_id = loyalty_pointsaccount.customer_id
                """,
                [stamp, merchant.pk, merchant.pk, stamp, *run_reasons],
            )
    return rows


def _messages_for_run(*, merchant: Merchant, tiers: list[Tier], now: datetime, reasons: list[str]) -> None:
    """One portal message per change of this run, in one INSERT per destination tier; emails queued."""
    for tier in tiers:
        changes = TierChange.objects.filter(merchant=merchant, at=now, reason__in=reasons, to_tier=tier)
        up = changes.filter(Q(from_tier__isnull=True) | Q(from_tier__rank__lt=tier.rank))
        down = changes.filter(from_tier__isnull=False, from_tier__rank__gte=tier.rank)
        for subset, upgrade in ((up, True), (down, False)):
            title, body, code, message_params = _change_message(merchant=merchant, to_name=tier.name, upgrade=upgrade)
            sql, params = subset.values_list("customer_id").query.sql_with_params()
            as_json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO loyalty_customermessage (merchant_id, customer_id, title, body, code, params, at) "
                    f"SELECT %s, s.customer_id, %s, %s, %s, {as_json}, %s FROM ({sql}) s",
                    [merchant.pk, title, body, code, json.dumps(message_params), _stamp(now), *params],
                )
    if not _EMAILS_HELD.get():
        transaction.on_commit(lambda: _enqueue_pending_emails(merchant_id=merchant.pk, at=now))


def _enqueue_pending_emails(*, merchant_id: int, at: datetime) -> None:
    from django_q.tasks import async_task

    async_task("loyalty.jobs.customer_messages_email_run", merchant_id, at.isoformat())


def tiers_recalculate(*, now: datetime, merchant: Merchant | None = None) -> int:
    """The `recalculate_tiers` job: end overrides that are over, then move every customer whose
    recorded tier differs from the one the rules give as of `now`. Set-based; safe to run twice."""
    merchants = [merchant] if merchant is not None else list(Merchant.objects.filter(tiers__isnull=False).distinct())
    total = 0
    for item in merchants:
        with transaction.atomic():
            tiers = list(Tier.objects.filter(merchant=item).order_by("rank"))
            total += _overrides_end(merchant=item, tiers=tiers, now=now)
            total += _apply_targets(merchant=item, tiers=tiers, now=now)
    return total


def _overrides_end(*, merchant: Merchant, tiers: list[Tier], now: datetime) -> int:
    """End overrides that are over. They are few (set by hand), so each is visited to tell the customer."""
    ended = (
        PointsAccount.objects.select_for_update(of=("self",))
        .filter(merchant=merchant, override_tier__isnull=False, override_until__lte=now)
        .select_related("customer", "customer__merchant", "tier", "override_tier")
    )
    by_id = {tier.pk: tier for tier in tiers}
    count = 0
    for account in ended:
        target_id = tier_target_of(merchant=merchant, tiers=tiers, now=now, customer_id=account.customer_id)
        target = by_id.get(target_id, account.tier)
        tier_record_change(customer=account.customer, account=account, to_tier=target, reason=TierChange.Reason.OVERRIDE_ENDED, now=now)
        account.override_tier = None
        account.override_until = None
        account.override_reason = ""
        account.tier = target
        account.tier_since = now
        account.save(update_fields=["override_tier", "override_until", "override_reason", "tier", "tier_since"])
        count += 1
    return count


@transaction.atomic
def tier_override_set(*, customer: Customer, tier: Tier | None, until: datetime | None, reason: str, staff: User | None,
                      now: datetime | None = None) -> PointsAccount:
    """Put a customer in `tier` until `until` (None clears the override), with a reason; audited.

    Raises:
        ValidationError: no reason, an end in the past, a tier of another merchant.
    """
    from loyalty.services.ledger import account_lock

    now = now or timezone.now()
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say why the tier is set by hand.")]
    if tier is not None and tier.merchant_id != customer.merchant_id:
        errors["tier"] = [_("Unknown tier.")]
    if tier is not None and (until is None or until <= now):
        errors["until"] = [_("Choose an end date in the future.")]
    if errors:
        raise ValidationError(errors)
    account = account_lock(customer=customer)
    account = PointsAccount.objects.select_related("tier", "override_tier").get(pk=account.pk)
    tier_record_change(customer=customer, account=account, to_tier=tier or account.tier, reason=TierChange.Reason.OVERRIDE,
                       now=now, staff=staff, note=reason)
    account.override_tier = tier
    account.override_until = until if tier else None
    account.override_reason = reason if tier else ""
    account.save(update_fields=["override_tier", "override_until", "override_reason"])
    audit_record(merchant=customer.merchant, actor=staff, action="tier.override", target=customer.phone, reason=reason,
                 data={"tier": tier.code if tier else None, "until": until.isoformat() if until else None, "customer": str(customer.pk),
                       "tier_name": tier.name if tier else None})
    return account


def tier_preview(*, merchant: Merchant, proposed: list[dict], now: datetime | None = None) -> list[dict]:
    """How many customers each tier would hold with `proposed` definitions, beside how many it holds now.

    `proposed` is a list of tier dicts (code, name, rank, entry, window_days, keep); nothing is written.
    """
    now = now or timezone.now()
    current = {row["tier_id"]: row["n"] for row in PointsAccount.objects.filter(merchant=merchant).values("tier_id").annotate(n=Count("pk"))}
    existing = {tier.code: tier for tier in Tier.objects.filter(merchant=merchant)}
    fakes = []
    for index, item in enumerate(proposed):
        tier = Tier(merchant=merchant, code=item["code"], name=item["name"], rank=item["rank"], entry=item.get("entry") or {},
                    window_days=item.get("window_days"), keep=item.get("keep"))
        tier.pk = existing[item["code"]].pk if item["code"] in existing else -(index + 1)
        fakes.append(tier)
    if not tier_base(merchant=merchant, tiers=fakes):
        raise ValidationError({"entry": [_("One tier must have no entry conditions.")]})
    sql, params = tier_targets_sql(merchant=merchant, tiers=fakes, now=now, upgrades_only=True)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.target, COUNT(*) FROM ({sql}) t GROUP BY t.target", params)
        counts = dict(cursor.fetchall())
    return [{"code": tier.code, "name": tier.name, "rank": tier.rank, "would_have": counts.get(tier.pk, 0),
             "has_now": current.get(tier.pk, 0) if tier.pk and tier.pk > 0 else 0} for tier in sorted(fakes, key=lambda t: t.rank)]


def tier_get_or_404(*, merchant: Merchant, code: str) -> Tier:
    tier = Tier.objects.filter(merchant=merchant, code=code).first()
    if tier is None:
        raise NotFound(_("No tier with this code."), code="tier_not_found")
    return tier


def tier_base_create(*, merchant: Merchant) -> Tier:
    return Tier.objects.create(merchant=merchant, code="base", name="Member", rank=1, entry={})


@transaction.atomic
def tier_move(*, tier: Tier, direction: str, actor: User | None = None) -> Tier | None:
    """Swap ranks with the neighbouring tier above ("up") or below ("down"); returns the neighbour,
    or None when there is none. Ranks stay unique: the swap goes through a free rank in one transaction.

    Customers keep their recorded tier; the order counts from the next commit or recalculation.
    """
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move a tier up or down.")]})
    tiers = list(Tier.objects.select_for_update().filter(merchant_id=tier.merchant_id).order_by("rank"))
    index = next(i for i, item in enumerate(tiers) if item.pk == tier.pk)
    other_index = index + 1 if direction == "up" else index - 1
    if other_index < 0 or other_index >= len(tiers):
        return None
    this, other = tiers[index], tiers[other_index]
    this_rank, other_rank = this.rank, other.rank
    free = max(item.rank for item in tiers) + 1
    Tier.objects.filter(pk=this.pk).update(rank=free)
    Tier.objects.filter(pk=other.pk).update(rank=this_rank)
    Tier.objects.filter(pk=this.pk).update(rank=other_rank)
    tier.rank, other.rank = other_rank, this_rank
    audit_record(merchant=tier.merchant, actor=actor, action="tier.moved", target=tier.code,
                 data={"rank": other_rank, "swapped_with": other.code})
    return other


def customer_message_read(*, customer: Customer, message_id, now: datetime | None = None) -> bool:
    """Mark one of the customer's own portal messages read; False if it is not theirs or already read."""
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        return False
    updated = CustomerMessage.objects.filter(
        merchant_id=customer.merchant_id, customer=customer, pk=message_id, read_at__isnull=True
    ).update(read_at=now or timezone.now())
    return bool(updated)
