"""The points ledger: every change is a new entry; lots carry what is left of each credit.

Invariant, checked by the property tests: for every customer,
    sum(entry.points) == sum(lot.remaining) - account.debt == available + pending.
Writers lock the customer's PointsAccount row first (select_for_update), so two tills redeeming
from one account are serialised; the set-based jobs lock lots row by row in their UPDATE.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.errors import ApplicationError, ValidationError
from accounts.models import Customer, User
from accounts.services import audit_record
from loyalty.models import EntryKind, Entry, Lot, PointsAccount, Receipt, Refund
from loyalty.checkout import points_available_message
from loyalty.texts import message, message_render


def account_lock(*, customer: Customer) -> PointsAccount:
    """Lock and return the customer's points account (with its tiers), creating it on first use."""
    locked = PointsAccount.objects.select_for_update(of=("self",)).select_related("tier", "override_tier")
    account = locked.filter(customer=customer).first()
    if account is None:
        PointsAccount.objects.get_or_create(customer=customer, defaults={"merchant_id": customer.merchant_id})
        account = locked.get(customer=customer)
    return account


def spendable_lots(*, customer: Customer, now: datetime):
    """Active lots with points left that have not passed their expiry, soonest expiry first."""
    return (
        Lot.objects.filter(merchant_id=customer.merchant_id, customer=customer, remaining__gt=0, is_pending=False)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by(F("expires_at").asc(nulls_last=True), "created_at", "id")
    )


def spendable_points(*, customer: Customer, now: datetime) -> int:
    return spendable_lots(customer=customer, now=now).aggregate(total=Sum("remaining"))["total"] or 0


def spendable_lots_read(*, customer: Customer, now: datetime) -> list[Lot]:
    """The spendable lots, FEFO, as (id, remaining) rows: one read serves the price and the debit."""
    return list(spendable_lots(customer=customer, now=now).only("id", "remaining"))


def _consume(lots, points: int) -> int:
    """Take up to `points` from `lots` in order; return how many were taken.

    Writers of one customer are serialised by the account lock, so lots are not locked up front
    (a customer with hundreds of lots would otherwise lock them all on every purchase). Each
    decrement is guarded instead: `remaining >= take` in the UPDATE, so if the expiry job zeroed a
    lot in the meantime the row is re-read and the points come from the next lot.
    """
    taken = 0
    for lot in lots:
        while taken < points:
            take = min(lot.remaining, points - taken)
            if take <= 0:
                break
            if Lot.objects.filter(pk=lot.pk, remaining__gte=take).update(remaining=F("remaining") - take):
                lot.remaining -= take
                taken += take
                break
            lot.remaining = Lot.objects.filter(pk=lot.pk).values_list("remaining", flat=True).first() or 0
        if taken >= points:
            break
    return taken


def debt_repay(*, account: PointsAccount) -> int:
    """Pay refund debt from active lots; the caller holds the account lock."""
    if account.debt <= 0:
        return 0
    lots = Lot.objects.filter(
        merchant_id=account.merchant_id, customer_id=account.customer_id, remaining__gt=0, is_pending=False
    ).order_by(F("expires_at").asc(nulls_last=True), "id")
    repaid = _consume(lots, account.debt)
    if repaid:
        account.debt -= repaid
        account.updated_at = timezone.now()
        account.save(update_fields=["debt", "updated_at"])
    return repaid


def _description(*, customer: Customer, description: str, text: dict | None) -> dict:
    """An entry's description fields: the text in the merchant's language and its code and parameters."""
    if text is None:
        return {"description": description}
    if not description:
        description = message_render(text, language=customer.merchant.language)
    return {"description": description[:300], "description_code": text["code"], "description_params": text.get("params") or {}}


def points_credit(
    *,
    customer: Customer,
    account: PointsAccount,
    kind: str,
    points: int,
    description: str = "",
    at: datetime,
    ttl_days: int | None,
    text: dict | None = None,
    pending_days: int = 0,
    receipt: Receipt | None = None,
    refund: Refund | None = None,
    staff: User | None = None,
) -> Entry:
    """Credit a lot of `points` and write its entry. The caller holds the account lock.

    Points credited while the customer owes refund debt repay it first (unless pending: those
    repay it when the activation job makes them active). `text` (loyalty.texts.message) is what the
    description is rendered from in each reader's language; `description` defaults to it in the
    merchant's language.
    """
    if points <= 0:
        raise ValidationError({"points": ["Points to credit must be a positive whole number."]})
    pending = pending_days > 0
    expires_at = at + timedelta(days=ttl_days) if ttl_days else None
    lot = Lot(
        merchant_id=customer.merchant_id,
        customer=customer,
        source=kind,
        points=points,
        remaining=points,
        created_at=at,
        activates_at=at + timedelta(days=pending_days) if pending else None,
        is_pending=pending,
        expires_at=expires_at,
        receipt=receipt,
    )
    if not pending and account.debt > 0:
        repay = min(account.debt, points)
        lot.remaining -= repay
        account.debt -= repay
        account.updated_at = timezone.now()
        account.save(update_fields=["debt", "updated_at"])
    lot.save(force_insert=True)
    return Entry.objects.create(
        merchant_id=customer.merchant_id,
        customer=customer,
        kind=kind,
        points=points,
        at=at,
        **_description(customer=customer, description=description, text=text),
        lot=lot,
        receipt=receipt,
        refund=refund,
        staff=staff,
        expires_at=expires_at,
    )


def points_debit(
    *,
    customer: Customer,
    points: int,
    kind: str,
    now: datetime,
    description: str = "",
    text: dict | None = None,
    at: datetime | None = None,
    receipt: Receipt | None = None,
    staff: User | None = None,
    lots: list[Lot] | None = None,
) -> Entry:
    """Spend `points` from the lots that expire first. The caller holds the account lock and may
    pass the spendable lots it has already read (`spendable_lots_read`).

    Raises:
        ApplicationError: insufficient_points when the spendable lots hold fewer points.
    """
    lots = lots if lots is not None else spendable_lots_read(customer=customer, now=now)
    available = sum(lot.remaining for lot in lots)
    if points > available or _consume(lots, points) < points:
        raise ApplicationError(
            "insufficient_points",
            points_available_message(balance=available, asked=points),
        )
    return Entry.objects.create(
        merchant_id=customer.merchant_id,
        customer=customer,
        kind=kind,
        points=-points,
        at=at or now,
        **_description(customer=customer, description=description, text=text),
        receipt=receipt,
        staff=staff,
    )


def points_take_back(*, customer: Customer, account: PointsAccount, points: int, own_lot: Lot | None, now: datetime) -> int:
    """Take back points a return reverses: from the receipt's own lot, then active lots, then
    pending ones; what was already spent becomes debt. Returns the debt created."""
    taken = 0
    mine = Lot.objects.filter(merchant_id=customer.merchant_id, customer=customer, remaining__gt=0)
    if own_lot is not None:
        taken += _consume(mine.filter(pk=own_lot.pk), points)
    if taken < points:
        active = mine.filter(is_pending=False).order_by(F("expires_at").asc(nulls_last=True), "id")
        taken += _consume(active, points - taken)
    if taken < points:
        pending = mine.filter(is_pending=True).order_by("activates_at", "id")
        taken += _consume(pending, points - taken)
    debt = points - taken
    if debt:
        account.debt += debt
        account.updated_at = now
        account.save(update_fields=["debt", "updated_at"])
    return debt


def points_earn(*, customer: Customer, kind: str, points: int, description: str = "", ttl_days: int | None, at: datetime | None = None,
                staff: User | None = None, text: dict | None = None) -> Entry:
    """Credit bonus points (gifts, referral rewards) that are available at once. For other apps;
    pass `text` (loyalty.texts.message, its code registered in loyalty.texts.MESSAGES) so the entry
    reads in each reader's language."""
    with transaction.atomic():
        account = account_lock(customer=customer)
        return points_credit(
            customer=customer, account=account, kind=kind, points=points, description=description,
            at=at or timezone.now(), ttl_days=ttl_days, staff=staff, text=text,
        )


@transaction.atomic
def points_adjust(*, customer: Customer, points: int, reason: str, staff: User | None, now: datetime | None = None) -> Entry:
    """A manual correction by staff, with a reason; audited (who, when, why).

    A positive adjustment is a new lot with the program's lifetime; a negative one spends the
    lots that expire first and cannot take more than is available.

    Raises:
        ValidationError: zero points or no reason.
        ApplicationError: insufficient_points for a negative adjustment beyond the balance.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        errors["points"] = [_("Enter a whole number of points other than zero.")]
    elif abs(points) > 10_000_000:
        errors["points"] = [_("That is more points than any adjustment may move.")]
    if not reason:
        errors["reason"] = [_("Say why the points are adjusted.")]
    elif len(reason) > 250:
        errors["reason"] = [_("Keep the reason under 250 characters.")]
    if errors:
        raise ValidationError(errors)
    merchant = customer.merchant
    account = account_lock(customer=customer)
    text = message("entry.adjustment", reason=reason)
    if points > 0:
        program = merchant.program
        entry = points_credit(
            customer=customer, account=account, kind=EntryKind.ADJUSTMENT, points=points, text=text,
            at=now, ttl_days=program.points_ttl_days, staff=staff,
        )
    else:
        entry = points_debit(customer=customer, points=-points, kind=EntryKind.ADJUSTMENT, text=text, now=now, staff=staff)
    audit_record(
        merchant=merchant, actor=staff, action="points.adjusted", target=customer.phone, reason=reason,
        data={"points": points, "customer": str(customer.pk), "entry": entry.pk},
    )
    return entry


# Written into entries by SQL, in each merchant's language, with the code `entry.expiry` that screens
# render in the reader's language; gettext_noop marks it for translation.
EXPIRED_DESCRIPTION = gettext_noop("Points expired")


def _description_case(message: str, column: str) -> tuple[str, list[str]]:
    """An SQL CASE that picks `message` in each merchant's language, for set-based inserts."""
    from django.conf import settings

    parts, params = [], []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            params.extend([code, _(message)])
        parts.append("WHEN %s THEN %s")
    with translation.override("en"):
        params.append(_(message))
    return f"CASE {column} " + " ".join(parts) + " ELSE %s END", params


def points_expire(*, now: datetime) -> int:
    """Expire every lot whose lifetime has passed as of `now`: one `expiry` entry per lot.

    Set-based: one UPDATE marks the lots (taking row locks, so a concurrent redemption either
    finishes first and leaves less to expire, or waits), one INSERT … SELECT writes the entries.
    Running it twice with the same `now` changes nothing the second time.
    """
    case_sql, case_params = _description_case(EXPIRED_DESCRIPTION, "m.language")
    # Raw SQL gets the moment in the form the ORM stores it, or SQLite compares text that differs.
    stamp = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    WITH expired AS (
                        UPDATE loyalty_lot SET expired_points = remaining, remaining = 0, expired_at = %s
                        WHERE remaining > 0 AND expires_at <= %s
                        RETURNING id, merchant_id, customer_id, expired_points, expires_at
                    )
                    INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, description_code, lot_id)
                    SELECT e.merchant_id, e.customer_id, 'expiry', -e.expired_points, e.expires_at, {case_sql}, 'entry.expiry', e.id
                    FROM expired e JOIN accounts_merchant m ON m.id = e.merchant_id
                    """,
                    [stamp, stamp, *case_params],
                )
                return cursor.rowcount
        Lot.objects.filter(remaining__gt=0, expires_at__lte=now).update(
            expired_points=F("remaining"), remaining=0, expired_at=now
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO loyalty_entry (merchant_id, customer_id, kind, points, at, description, description_code, lot_id)
                SELECT l.merchant_id, l.customer_id, 'expiry', -l.expired_points, l.expires_at, {case_sql}, 'entry.expiry', l.id
                FROM loyalty_lot l JOIN accounts_merchant m ON m.id = l.merchant_id
                WHERE l.expired_at = %s AND l.expired_points > 0
                  AND NOT EXISTS (SELECT 1 FROM loyalty_entry x WHERE x.lot_id = l.id AND x.kind = 'expiry')
                """,
                [*case_params, stamp],
            )
            return cursor.rowcount


def points_activate(*, now: datetime) -> int:
    """Make pending points spendable once their delay has passed as of `now`. Safe to run twice.

    One UPDATE does the work; only the rare accounts with refund debt are then visited to repay it.
    """
    with transaction.atomic():
        activated = Lot.objects.filter(is_pending=True, activates_at__lte=now).update(is_pending=False)
        indebted = PointsAccount.objects.filter(debt__gt=0, customer__lots__remaining__gt=0, customer__lots__is_pending=False).values_list(
            "customer_id", flat=True
        ).distinct()
        for customer_id in list(indebted):
            account = PointsAccount.objects.select_for_update().get(customer_id=customer_id)
            debt_repay(account=account)
    return activated


def points_credit_bulk(*, merchant, customers, kind: str, points: int, description: str, at: datetime,
                       ttl_days: int | None = None, staff: User | None = None) -> int:
    """Credit `points` to every customer of `customers` (a QuerySet of the merchant's customers) at once:
    one lot and one entry each, available at once, written set-based (an INSERT … SELECT for the lots
    and one for the entries, whatever the number of customers). Returns how many were credited.

    The ledger invariant holds as for points_credit: the few customers who owe refund debt repay it
    from the new lot under their account lock, as the activation job does. Call inside the caller's
    transaction (or it opens one).
    """
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise ValidationError({"points": ["Points to credit must be a positive whole number."]})
    members = customers.filter(merchant=merchant).order_by().annotate(member_id=F("pk")).values("member_id")
    members_sql, members_params = members.query.sql_with_params()
    stamp = connection.ops.adapt_datetimefield_value(at)
    expires_at = at + timedelta(days=ttl_days) if ttl_days else None
    expires = connection.ops.adapt_datetimefield_value(expires_at) if expires_at else None
    staff_id = staff.pk if staff is not None else None
    description = description[:300]
    with transaction.atomic(), connection.cursor() as cursor:
        lot_insert = f"""
            INSERT INTO loyalty_lot (merchant_id, customer_id, source, points, remaining, created_at, activates_at, is_pending,
                                     expires_at, expired_at, expired_points, receipt_id)
            SELECT %s, m.member_id, %s, %s, %s, %s, NULL, %s, %s, NULL, 0, NULL FROM ({members_sql}) m
        """
        lot_params = [merchant.pk, kind, points, points, stamp, False, expires, *members_params]
        entry_columns = "merchant_id, customer_id, kind, points, at, description, description_code, lot_id, staff_id, expires_at"
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""WITH new_lots AS ({lot_insert} RETURNING id, customer_id)
                    INSERT INTO loyalty_entry ({entry_columns})
                    SELECT %s, n.customer_id, %s, %s, %s, %s, '', n.id, %s, %s FROM new_lots n""",
                [*lot_params, merchant.pk, kind, points, stamp, description, staff_id, expires],
            )
            credited = cursor.rowcount
        else:
            cursor.execute(lot_insert, lot_params)
            cursor.execute(
                f"""INSERT INTO loyalty_entry ({entry_columns})
                    SELECT l.merchant_id, l.customer_id, %s, %s, %s, %s, '', l.id, %s, %s FROM loyalty_lot l
                    WHERE l.merchant_id = %s AND l.source = %s AND l.created_at = %s AND l.points = %s AND l.receipt_id IS NULL
                      AND NOT EXISTS (SELECT 1 FROM loyalty_entry x WHERE x.lot_id = l.id)""",
                [kind, points, stamp, description, staff_id, expires, merchant.pk, kind, stamp, points],
            )
            credited = cursor.rowcount
        indebted = PointsAccount.objects.filter(merchant_id=merchant.pk, debt__gt=0, customer__in=customers.filter(merchant=merchant))
        for customer_id in list(indebted.order_by("pk").values_list("customer_id", flat=True)):
            account = PointsAccount.objects.select_for_update().get(customer_id=customer_id)
            debt_repay(account=account)
    return credited
