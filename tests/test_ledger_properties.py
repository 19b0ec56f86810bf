"""Property test of the points ledger: random sequences of purchases, redemptions, returns,
expiry, activation, adjustments and clock moves never break the ledger's invariants."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db.models import F, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from accounts.errors import ApplicationError
from loyalty.checkout import Draft, DraftLine
from loyalty.models import Entry, Lot, PointsAccount, Receipt
from loyalty.selectors import balance_get
from loyalty.services import points_activate, points_adjust, points_expire, receipt_commit, receipt_refund
from tests.factories import MerchantFactory, customer_create, program_set

START = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)

line_strategy = st.tuples(st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=150_000))


class LedgerMachine(RuleBasedStateMachine):
    @initialize(
        welcome=st.sampled_from([0, 50, 300]),
        welcome_ttl=st.sampled_from([None, 7, 14]),
        ttl=st.sampled_from([None, 10, 30, 365]),
        pending_days=st.sampled_from([0, 0, 3, 14]),
        accrual=st.sampled_from(["5.00", "10.00", "25.00"]),
        cap=st.sampled_from(["100.00", "50.00"]),
    )
    def setup(self, welcome, welcome_ttl, ttl, pending_days, accrual, cap):
        self.merchant = MerchantFactory()
        program_set(
            self.merchant, welcome_bonus=welcome, welcome_bonus_ttl_days=welcome_ttl, points_ttl_days=ttl,
            pending_days=pending_days, accrual_percent=Decimal(accrual), max_redeem_percent=Decimal(cap),
        )
        self.store = self.merchant.stores.get(code="main")
        self.now = START
        self.customer = customer_create(self.merchant, at=self.now)
        self.receipts: list = []
        self.numbers = 0

    # --- rules -----------------------------------------------------------------------------

    @rule(
        lines=st.lists(line_strategy, min_size=1, max_size=3),
        redeem=st.one_of(st.just("max"), st.integers(min_value=0, max_value=400)),
        offline_days=st.sampled_from([0, 0, 0, 2, 40]),
    )
    def purchase(self, lines, redeem, offline_days):
        draft = Draft(
            lines=tuple(DraftLine(sku=f"SKU{i}", quantity=Decimal(q), price=Decimal(cents) / 100) for i, (q, cents) in enumerate(lines)),
            purchased_at=self.now - timedelta(days=offline_days),
            redeem_points=redeem,
        )
        self.numbers += 1
        try:
            receipt, calc = receipt_commit(merchant=self.merchant, store=self.store, customer=self.customer, draft=draft,
                                           number=str(self.numbers), now=self.now)
        except ApplicationError as error:
            assert error.code in ("insufficient_points", "redeem_over_cap")
            return
        assert receipt.total == receipt.subtotal - receipt.discount - receipt.redeemed_amount
        # The balance the commit computed (not re-read) is the one a read finds.
        assert receipt.balance == balance_get(merchant=self.merchant, customer=self.customer)
        assert sum(line.accrued_points for line in receipt.lines.all()) == receipt.accrued_points
        assert sum(line.redeemed_points for line in receipt.lines.all()) == receipt.redeemed_points
        self.receipts.append(receipt.pk)

    @precondition(lambda self: self.receipts)
    @rule(data=st.data(), full=st.booleans())
    def refund(self, data, full):
        receipt = Receipt.objects.get(pk=data.draw(st.sampled_from(self.receipts)))
        if full:
            body = {}
        else:
            line = data.draw(st.sampled_from(list(receipt.lines.all())))
            body = {"lines": [{"sku": line.sku, "quantity": str(data.draw(st.integers(min_value=1, max_value=int(line.quantity))))}]}
        try:
            receipt_refund(receipt=receipt, data=body, now=self.now)
        except ApplicationError as error:
            assert error.code in ("nothing_to_refund", "refund_exceeds_purchase")
            return
        receipt.refresh_from_db()
        if receipt.fully_refunded:
            # a receipt emptied by returns gave back exactly what it took
            assert (receipt.refunded_amount, receipt.points_reversed, receipt.points_returned) == (
                receipt.total, receipt.accrued_points, receipt.redeemed_points,
            )

    @rule()
    def expire(self):
        points_expire(now=self.now)
        # a lot past its end as of now keeps nothing after the job
        assert not Lot.objects.filter(customer=self.customer, remaining__gt=0, expires_at__lte=self.now).exists()

    @rule()
    def activate(self):
        points_activate(now=self.now)
        assert not Lot.objects.filter(customer=self.customer, is_pending=True, activates_at__lte=self.now).exists()

    @rule(points=st.integers(min_value=-400, max_value=400).filter(lambda p: p != 0))
    def adjust(self, points):
        try:
            points_adjust(customer=self.customer, points=points, reason="property test", staff=None, now=self.now)
        except ApplicationError as error:
            assert error.code == "insufficient_points"
            assert points < 0

    @rule(days=st.integers(min_value=0, max_value=40), hours=st.integers(min_value=0, max_value=23))
    def tick(self, days, hours):
        self.now += timedelta(days=days, hours=hours)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def ledger_adds_up(self):
        if not hasattr(self, "customer"):
            return
        entries = Entry.objects.filter(customer=self.customer).aggregate(s=Sum("points"))["s"] or 0
        lots = Lot.objects.filter(customer=self.customer).aggregate(s=Sum("remaining"))["s"] or 0
        debt = PointsAccount.objects.get(customer=self.customer).debt
        balance = balance_get(merchant=self.merchant, customer=self.customer)
        assert entries == lots - debt == balance.available + balance.pending, (entries, lots, debt, balance)
        assert balance.debt == debt

    @invariant()
    def lots_stay_within_bounds(self):
        if not hasattr(self, "customer"):
            return
        assert not Lot.objects.filter(customer=self.customer, remaining__lt=0).exists()
        assert not Lot.objects.filter(customer=self.customer, remaining__gt=F("points")).exists()

    @invariant()
    def negative_only_for_debt(self):
        if not hasattr(self, "customer"):
            return
        balance = balance_get(merchant=self.merchant, customer=self.customer)
        if balance.available < 0:
            assert balance.debt > 0
        if balance.debt > 0:
            # debt is repaid first from any active points
            assert not Lot.objects.filter(customer=self.customer, is_pending=False, remaining__gt=0).exists()


@pytest.mark.django_db
def test_ledger_invariants_hold_for_any_sequence_of_operations():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        ),
    )
