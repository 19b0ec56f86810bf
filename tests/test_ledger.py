"""The points ledger through its services: lots, entries, expiry, activation, adjustments, debt."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.models import AuditEvent
from loyalty.models import Entry, EntryKind, Lot, PointsAccount, Receipt
from loyalty.selectors import balance_get, expiring_get
from loyalty.services import points_activate, points_adjust, points_earn, points_expire, receipt_calculate, receipt_commit, receipt_refund
from tests.factories import UserFactory, assert_ledger_consistent, customer_create, draft, program_set

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


def commit(merchant, customer, *lines, redeem=0, number="1", purchased_at=None, now=None):
    return receipt_commit(
        merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
        draft=draft(*lines, redeem=redeem, purchased_at=purchased_at or now or T0), number=number, now=now or T0,
    )


def balance(customer):
    result = balance_get(merchant=customer.merchant, customer=customer)
    return result.available, result.pending


# --- welcome bonus ----------------------------------------------------------------------------


def test_joining_credits_the_welcome_bonus_with_its_own_lifetime(merchant):
    # given the default program: 300 points for joining, living 14 days
    customer = customer_create(merchant, at=T0)

    # then one lot and one entry, available at once, expiring 14 days after joining
    lot = Lot.objects.get(customer=customer)
    assert (lot.source, lot.points, lot.remaining, lot.is_pending) == (EntryKind.WELCOME, 300, 300, False)
    assert lot.expires_at == T0 + timedelta(days=14)
    entry = Entry.objects.get(customer=customer)
    assert (entry.kind, entry.points, entry.at, entry.expires_at) == ("welcome", 300, T0, T0 + timedelta(days=14))
    assert balance(customer) == (300, 0)
    assert_ledger_consistent(customer)


def test_welcome_bonus_ttl_is_independent_of_the_points_ttl(merchant):
    program_set(merchant, welcome_bonus=500, welcome_bonus_ttl_days=7, points_ttl_days=365)

    customer = customer_create(merchant, at=T0)

    assert Lot.objects.get(customer=customer).expires_at == T0 + timedelta(days=7)
    assert balance(customer) == (500, 0)


def test_no_welcome_bonus_writes_no_lot(merchant):
    program_set(merchant, welcome_bonus=0)

    customer = customer_create(merchant, at=T0)

    assert Lot.objects.filter(customer=customer).count() == 0
    assert Entry.objects.filter(customer=customer).count() == 0
    assert PointsAccount.objects.filter(customer=customer).count() == 1
    assert balance(customer) == (0, 0)


def test_a_welcome_bonus_without_lifetime_never_expires(merchant):
    program_set(merchant, welcome_bonus_ttl_days=None)
    customer = customer_create(merchant, at=T0)

    assert Lot.objects.get(customer=customer).expires_at is None
    assert points_expire(now=T0 + timedelta(days=10_000)) == 0
    assert balance(customer) == (300, 0)
    assert expiring_get(merchant=merchant, customer=customer) == []


# --- accrual and redemption ---------------------------------------------------------------------


def test_a_commit_writes_redemption_and_accrual_entries(merchant):
    customer = customer_create(merchant, at=T0)

    receipt, calc = commit(merchant, customer, ("MILK-1", "2", "89.90"), redeem=100, number="A-1")

    assert (receipt.subtotal, receipt.redeemed_amount, receipt.total) == (Decimal("179.80"), Decimal("100.00"), Decimal("79.80"))
    assert (receipt.redeemed_points, receipt.accrued_points) == (100, 3)
    entries = list(Entry.objects.filter(receipt=receipt).order_by("id").values_list("kind", "points"))
    assert entries == [("redemption", -100), ("accrual", 3)]
    assert balance(customer) == (203, 0)
    assert_ledger_consistent(customer)


def test_offline_purchase_in_the_past_dates_the_points_from_the_purchase(merchant):
    # given a till that was offline: the purchase happened 10 days before it was sent
    customer = customer_create(merchant, at=T0 - timedelta(days=30))
    purchased_at = T0 - timedelta(days=10)

    receipt, _calc = commit(merchant, customer, ("TV", "1", "1000.00"), purchased_at=purchased_at, now=T0)

    # then the lot lives 365 days from the purchase, and the entries are dated at the purchase
    lot = Lot.objects.get(receipt=receipt)
    assert lot.points == 50
    assert lot.created_at == purchased_at
    assert lot.expires_at == purchased_at + timedelta(days=365)
    assert Entry.objects.get(receipt=receipt).at == purchased_at
    assert receipt.purchased_at == purchased_at


def test_points_without_lifetime(merchant):
    program_set(merchant, points_ttl_days=None)
    customer = customer_create(merchant, at=T0)

    receipt, _ = commit(merchant, customer, ("TV", "1", "1000.00"))

    assert Lot.objects.get(receipt=receipt).expires_at is None


def test_redemption_spends_the_lots_that_expire_first(merchant):
    # given the welcome bonus (14 days) and an adjustment lot (365 days)
    customer = customer_create(merchant, at=T0)
    points_adjust(customer=customer, points=100, reason="Goodwill", staff=None, now=T0)

    commit(merchant, customer, ("TV", "1", "1000.00"), redeem=350)

    lots = {lot.source: lot.remaining for lot in Lot.objects.filter(customer=customer)}
    assert lots == {"welcome": 0, "adjustment": 50, "accrual": 32}
    assert balance(customer) == (82, 0)
    assert_ledger_consistent(customer)


def test_same_number_twice_in_a_store_is_receipt_exists(merchant):
    customer = customer_create(merchant, at=T0)
    commit(merchant, customer, ("X", "1", "10.00"), number="7")
    before = Entry.objects.count()

    with pytest.raises(Conflict) as error:
        commit(merchant, customer, ("X", "1", "10.00"), number="7")

    assert error.value.code == "receipt_exists"
    assert Receipt.objects.filter(merchant=merchant).count() == 1
    assert Entry.objects.count() == before


def test_a_receipt_number_is_required(merchant):
    customer = customer_create(merchant, at=T0)

    with pytest.raises(ValidationError):
        commit(merchant, customer, ("X", "1", "10.00"), number="  ")
    assert Receipt.objects.count() == 0


def test_a_refused_commit_writes_nothing(merchant):
    customer = customer_create(merchant, at=T0)
    entries, lots = Entry.objects.count(), list(Lot.objects.values_list("id", "remaining"))

    with pytest.raises(ApplicationError) as error:
        commit(merchant, customer, ("X", "1", "1000.00"), redeem=301)

    assert error.value.code == "insufficient_points"
    assert Receipt.objects.count() == 0
    assert Entry.objects.count() == entries
    assert list(Lot.objects.values_list("id", "remaining")) == lots


# --- pending points and activation ------------------------------------------------------------


def test_pending_points_wait_for_the_activation_job(merchant):
    # given a 14-day activation delay
    program_set(merchant, pending_days=14)
    customer = customer_create(merchant, at=T0)

    receipt, _ = commit(merchant, customer, ("TV", "1", "1000.00"))

    # then the 50 points are pending; the welcome bonus is available at once
    lot = Lot.objects.get(receipt=receipt)
    assert (lot.is_pending, lot.activates_at) == (True, T0 + timedelta(days=14))
    assert balance(customer) == (300, 50)
    with pytest.raises(ApplicationError):
        commit(merchant, customer, ("X", "1", "1000.00"), redeem=301, number="2")

    # when the job runs a day early, nothing changes
    assert points_activate(now=T0 + timedelta(days=13)) == 0
    assert balance(customer) == (300, 50)

    # when it runs on time, the points become available, and a second run does nothing
    assert points_activate(now=T0 + timedelta(days=14)) == 1
    assert points_activate(now=T0 + timedelta(days=14)) == 0
    assert balance(customer) == (350, 0)
    assert_ledger_consistent(customer)


def test_reads_do_not_activate_points_by_the_clock(merchant):
    program_set(merchant, pending_days=1)
    customer = customer_create(merchant, at=T0 - timedelta(days=10))

    commit(merchant, customer, ("TV", "1", "1000.00"), purchased_at=T0 - timedelta(days=5), now=T0)

    # the delay has passed, but the job has not run: the recorded state is pending
    assert balance(customer) == (300, 50)


# --- expiry ----------------------------------------------------------------------------------


def test_expiry_writes_one_entry_per_lot_and_is_safe_to_run_twice(merchant):
    # given two customers with a welcome bonus, one of whom spent part of it
    first = customer_create(merchant, at=T0)
    second = customer_create(merchant, at=T0)
    commit(merchant, first, ("X", "1", "200.00"), redeem=100)

    # when the expiry job runs as of the day the bonus expires
    now = T0 + timedelta(days=14)
    assert points_expire(now=now) == 2

    # then only what was left expires, dated at the lot's expiry
    expiry = Entry.objects.get(customer=first, kind="expiry")
    assert (expiry.points, expiry.at) == (-200, T0 + timedelta(days=14))
    assert Entry.objects.get(customer=second, kind="expiry").points == -300
    welcome = Lot.objects.get(customer=first, source="welcome")
    assert (welcome.remaining, welcome.expired_points, welcome.expired_at) == (0, 200, now)
    assert balance(first) == (5, 0)
    assert balance(second) == (0, 0)

    # when it runs again with the same --now, nothing more is written
    assert points_expire(now=now) == 0
    assert Entry.objects.filter(kind="expiry").count() == 2
    assert_ledger_consistent(first)
    assert_ledger_consistent(second)


def test_expiry_leaves_lots_that_have_not_reached_their_end(merchant):
    customer = customer_create(merchant, at=T0)

    assert points_expire(now=T0 + timedelta(days=14) - timedelta(seconds=1)) == 0
    assert balance(customer) == (300, 0)


def test_a_commit_never_spends_a_lot_past_its_expiry_even_before_the_job(merchant):
    # given a welcome bonus that expired yesterday, and an expiry job that has not run
    customer = customer_create(merchant, at=T0 - timedelta(days=15))

    # then the read still shows the recorded 300 ...
    assert balance(customer) == (300, 0)
    # ... but no commit or calculation can spend them
    calc = receipt_calculate(merchant=merchant, customer=customer, draft=draft(("X", "1", "100.00")), now=T0)
    assert calc.max_redeem_points == 0
    with pytest.raises(ApplicationError) as error:
        commit(merchant, customer, ("X", "1", "100.00"), redeem=1, now=T0)
    assert error.value.code == "insufficient_points"
    assert Lot.objects.get(customer=customer, source="welcome").remaining == 300


def test_expiring_lists_every_batch_per_date_in_the_merchant_timezone(merchant):
    # given a Moscow merchant (UTC+3) and lots ending at 21:30 UTC and 10:00 UTC the next day:
    # both fall on the same Moscow date; a third lot ending at 20:00 UTC falls on the day before
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant, at=T0)
    day = (T0 + timedelta(days=30)).replace(hour=0, minute=0, second=0)
    points_earn(customer=customer, kind="bonus", points=10, description="a", ttl_days=1, at=day.replace(hour=21, minute=30))
    points_earn(customer=customer, kind="bonus", points=20, description="b", ttl_days=2, at=day.replace(hour=10))
    points_earn(customer=customer, kind="bonus", points=40, description="c", ttl_days=1, at=day.replace(hour=20))
    points_earn(customer=customer, kind="bonus", points=80, description="d", ttl_days=None, at=day)

    expiring = expiring_get(merchant=merchant, customer=customer)

    next_day = (day + timedelta(days=1)).date()
    assert expiring == [
        {"points": 40, "on": (next_day).isoformat()},
        {"points": 30, "on": (next_day + timedelta(days=1)).isoformat()},
    ]


# --- adjustments ---------------------------------------------------------------------------


def test_a_positive_adjustment_is_a_new_lot_with_the_program_lifetime_and_is_audited(merchant):
    staff = UserFactory()
    customer = customer_create(merchant, at=T0)

    entry = points_adjust(customer=customer, points=150, reason="Lost receipt", staff=staff, now=T0)

    assert (entry.kind, entry.points, entry.staff, entry.description) == ("adjustment", 150, staff, "Adjustment: Lost receipt")
    assert entry.lot.expires_at == T0 + timedelta(days=365)
    event = AuditEvent.objects.get(merchant=merchant, action="points.adjusted")
    assert (event.actor, event.reason, event.data["points"]) == (staff, "Lost receipt", 150)
    assert balance(customer) == (450, 0)


def test_a_negative_adjustment_spends_and_cannot_exceed_the_balance(merchant):
    customer = customer_create(merchant, at=T0)

    points_adjust(customer=customer, points=-120, reason="Duplicate bonus", staff=None, now=T0)
    assert balance(customer) == (180, 0)

    with pytest.raises(ApplicationError) as error:
        points_adjust(customer=customer, points=-181, reason="Too much", staff=None, now=T0)
    assert error.value.code == "insufficient_points"
    assert balance(customer) == (180, 0)
    assert_ledger_consistent(customer)


@pytest.mark.parametrize(("points", "reason", "field"), [(0, "x", "points"), (5, "  ", "reason"), (10**8, "x", "points"), (True, "x", "points")])
def test_an_adjustment_needs_points_and_a_reason(merchant, points, reason, field):
    customer = customer_create(merchant, at=T0)

    with pytest.raises(ValidationError) as error:
        points_adjust(customer=customer, points=points, reason=reason, staff=None, now=T0)

    assert field in error.value.message_dict
    assert Entry.objects.filter(customer=customer).count() == 1


# --- refunds and debt ----------------------------------------------------------------------


def test_a_refund_of_spent_points_leaves_debt_that_blocks_redemption_until_repaid(merchant):
    # given a customer with no welcome bonus who earned 50 points and spent them all
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant, at=T0)
    bought, _ = commit(merchant, customer, ("TV", "1", "1000.00"), number="1")
    commit(merchant, customer, ("CABLE", "1", "50.00"), redeem=50, number="2")
    assert balance(customer) == (0, 0)

    # when the TV comes back
    refund = receipt_refund(receipt=bought, data={}, now=T0)

    # then the 50 points are taken back as debt: the balance is negative
    assert (refund.refunded_amount, refund.points_reversed, refund.points_returned, refund.debt_created) == (Decimal("1000.00"), 50, 0, 50)
    assert balance(customer) == (-50, 0)
    assert PointsAccount.objects.get(customer=customer).debt == 50
    assert_ledger_consistent(customer)
    # and no redemption is possible
    with pytest.raises(ApplicationError) as error:
        commit(merchant, customer, ("X", "1", "100.00"), redeem=1, number="3")
    assert error.value.code == "insufficient_points"

    # when the next purchase earns 30 points, they repay the debt first
    commit(merchant, customer, ("TV2", "1", "600.00"), number="4")
    assert balance(customer) == (-20, 0)
    # and an adjustment of 100 repays the rest
    points_adjust(customer=customer, points=100, reason="Goodwill", staff=None, now=T0)
    assert balance(customer) == (80, 0)
    assert PointsAccount.objects.get(customer=customer).debt == 0
    assert_ledger_consistent(customer)


def test_pending_points_repay_debt_when_activated(merchant):
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant, at=T0)
    bought, _ = commit(merchant, customer, ("TV", "1", "1000.00"), number="1")
    commit(merchant, customer, ("CABLE", "1", "50.00"), redeem=50, number="2")
    receipt_refund(receipt=bought, data={}, now=T0)
    program_set(merchant, pending_days=3)

    commit(merchant, customer, ("SOFA", "1", "2000.00"), number="3")
    assert balance(customer) == (-50, 100)

    points_activate(now=T0 + timedelta(days=3))
    assert balance(customer) == (50, 0)
    assert PointsAccount.objects.get(customer=customer).debt == 0
    assert_ledger_consistent(customer)


@pytest.mark.postgres
def test_entries_are_append_only_in_postgresql(merchant):
    customer = customer_create(merchant, at=T0)
    entry = Entry.objects.get(customer=customer)

    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(points=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get(pk=entry.pk).points == 300


def test_returning_a_purchase_whose_points_expired_does_not_take_them_twice(merchant):
    # given 50 points earned on a TV that expired unspent
    program_set(merchant, welcome_bonus=0, points_ttl_days=10)
    customer = customer_create(merchant, at=T0 - timedelta(days=30))
    tv, _ = commit(merchant, customer, ("TV", "1", "1000.00"), purchased_at=T0 - timedelta(days=30), now=T0 - timedelta(days=30))
    points_expire(now=T0 - timedelta(days=20))
    assert balance(customer) == (0, 0)

    # when the TV is returned
    refund = receipt_refund(receipt=tv, data={}, now=T0)

    # then the receipt's points count as reversed, but the customer loses nothing more and owes nothing
    assert (refund.points_reversed, refund.debt_created) == (50, 0)
    assert balance(customer) == (0, 0)
    assert PointsAccount.objects.get(customer=customer).debt == 0
    assert Entry.objects.filter(customer=customer, kind="refund").count() == 0
    assert_ledger_consistent(customer)


def test_partly_spent_then_expired_points_are_owed_only_for_the_spent_part(merchant):
    # given 50 points earned, 20 of them spent, the other 30 expired
    program_set(merchant, welcome_bonus=0, points_ttl_days=10, accrual_percent=Decimal("5.00"))
    start = T0 - timedelta(days=30)
    customer = customer_create(merchant, at=start)
    tv, _ = commit(merchant, customer, ("TV", "2", "500.00"), purchased_at=start, now=start)
    program_set(merchant, accrual_percent=Decimal("0"))
    commit(merchant, customer, ("CABLE", "1", "20.00"), redeem=20, number="2", purchased_at=start, now=start)
    points_expire(now=start + timedelta(days=10))
    assert balance(customer) == (0, 0)

    # when the two TVs come back one at a time
    first = receipt_refund(receipt=tv, data={"lines": [{"sku": "TV", "quantity": "1"}]}, now=T0)
    second = receipt_refund(receipt=tv, data={}, now=T0)

    # then the 30 expired points are excused first, and only the 20 spent become debt
    assert (first.points_reversed, first.debt_created) == (25, 0)
    assert (second.points_reversed, second.debt_created) == (25, 20)
    assert balance(customer) == (-20, 0)
    assert list(Entry.objects.filter(customer=customer, kind="refund").values_list("points", flat=True)) == [-20]
    assert_ledger_consistent(customer)
