"""Tiers: thresholds, upgrades inside the commit, downgrades by the job, overrides, the API."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from loyalty import selectors
from loyalty.models import CustomerMessage, PointsAccount, Receipt, Tier, TierChange
from loyalty.services import receipt_commit, receipt_refund
from loyalty.services.tiers import tier_create, tier_delete, tier_override_set, tier_preview, tiers_recalculate
from tests.factories import MerchantFactory, customer_create, draft


def gold_and_platinum(merchant, **gold):
    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "accrual_percent": "7.00",
                                         "entry": {"total_spend": "10000.00"}, **gold})
    tier_create(merchant=merchant, data={"code": "platinum", "name": "Platinum", "rank": 3, "accrual_percent": "10.00",
                                         "discount_percent": "5.00", "max_redeem_percent": "30.00", "entry": {"total_spend": "30000.00"}})


def buy(merchant, customer, amount: str, number: str, *, at=None, redeem=0):
    return receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                          draft=draft(("ITEM", "1", amount), redeem=redeem, purchased_at=at), number=number, now=at)


def tier_code(merchant, customer) -> str:
    return selectors.customer_tier_get(merchant=merchant, customer=customer).code


def test_new_customer_starts_in_the_base_tier(merchant):
    customer = customer_create(merchant)
    assert tier_code(merchant, customer) == "base"


def test_threshold_is_exact_at_the_boundary(merchant):
    gold_and_platinum(merchant)
    short, exact = customer_create(merchant), customer_create(merchant)
    buy(merchant, short, "9999.99", "1")
    buy(merchant, exact, "10000.00", "2")
    assert tier_code(merchant, short) == "base"
    assert tier_code(merchant, exact) == "gold"


def test_crossing_receipt_is_priced_at_the_old_tier_and_the_next_at_the_new(merchant):
    gold_and_platinum(merchant)
    customer = customer_create(merchant)
    _receipt, crossing = buy(merchant, customer, "10000.00", "1")
    _receipt, following = buy(merchant, customer, "1000.00", "2")
    assert crossing.accrued_points == 500  # 5 % base
    assert following.accrued_points == 70  # 7 % gold
    assert following.applied[-1]["name"] == "Gold: 7% instead of 5%"
    change = TierChange.objects.get(customer=customer)
    assert (change.from_name, change.to_name, change.reason) == ("Member", "Gold", "upgrade")
    assert CustomerMessage.objects.filter(customer=customer, title="Welcome to Gold!").exists()


def test_tier_discount_and_cap_are_applied_and_explained(merchant):
    gold_and_platinum(merchant)
    customer = customer_create(merchant)
    buy(merchant, customer, "30000.00", "1")
    _receipt, calc = buy(merchant, customer, "1000.00", "2", redeem="max")
    assert calc.discount == Decimal("50.00")
    # The cap is 30 % of what the receipt costs after the discount: 285 points of 950.00.
    assert calc.max_redeem_points == 285
    assert calc.redeemed_points == 285
    assert calc.total == Decimal("665.00")
    assert calc.accrued_points == 66  # 10 % of 665.00
    kinds = [item["kind"] for item in calc.applied]
    assert kinds == ["tier_discount", "redemption", "accrual"]
    assert calc.applied[0]["name"] == "Platinum: 5% discount"


def test_upgrade_email_goes_only_to_consenting_customers(merchant):
    gold_and_platinum(merchant)
    yes = customer_create(merchant, email="yes@example.test", consent_email=True)
    no = customer_create(merchant, email="no@example.test", consent_email=False)
    buy(merchant, yes, "10000.00", "1")
    buy(merchant, no, "10000.00", "2")
    # on_commit callbacks do not fire inside the test transaction; run what they would enqueue.
    from loyalty.jobs import customer_messages_email

    sent = customer_messages_email(list(CustomerMessage.objects.values_list("pk", flat=True)))
    assert sent == 1
    assert [message.to for message in mail.outbox] == [["yes@example.test"]]


def test_refund_that_undoes_the_qualifying_spend_downgrades_in_the_job(merchant):
    gold_and_platinum(merchant)
    customer = customer_create(merchant)
    receipt, _calc = buy(merchant, customer, "10000.00", "1")
    receipt_refund(receipt=receipt, data={})
    assert tier_code(merchant, customer) == "gold"  # recorded state until the job runs
    assert tiers_recalculate(now=timezone.now()) == 1
    assert tier_code(merchant, customer) == "base"
    assert TierChange.objects.filter(customer=customer, reason="downgrade", to_name="Member").exists()


def test_windowed_tier_with_keep_drops_after_the_window(merchant):
    gold_and_platinum(merchant, window_days=365, keep={"total_spend": "10000.00"})
    customer = customer_create(merchant)
    bought = timezone.now() - timedelta(days=10)
    buy(merchant, customer, "10000.00", "1", at=bought)
    assert tier_code(merchant, customer) == "gold"
    call_command("recalculate_tiers", now=(bought + timedelta(days=300)).isoformat())
    assert tier_code(merchant, customer) == "gold"
    call_command("recalculate_tiers", now=(bought + timedelta(days=400)).isoformat())
    assert tier_code(merchant, customer) == "base"
    # Running it again as of the same moment changes nothing.
    assert tiers_recalculate(now=bought + timedelta(days=400)) == 0


def test_keep_null_tier_is_kept_after_the_window(merchant):
    gold_and_platinum(merchant, window_days=30)
    customer = customer_create(merchant)
    bought = timezone.now() - timedelta(days=5)
    buy(merchant, customer, "10000.00", "1", at=bought)
    tiers_recalculate(now=bought + timedelta(days=400))
    assert tier_code(merchant, customer) == "gold"


def test_purchases_and_referrals_conditions(merchant):
    tier_create(merchant=merchant, data={"code": "regular", "name": "Regular", "rank": 2, "entry": {"purchases": 3}})
    tier_create(merchant=merchant, data={"code": "ambassador", "name": "Ambassador", "rank": 3, "entry": {"referrals": 2}})
    customer = customer_create(merchant)
    for number in "123":
        buy(merchant, customer, "10.00", number)
    assert tier_code(merchant, customer) == "regular"
    customer_create(merchant, referral_code=customer.referral_code)
    customer_create(merchant, referral_code=customer.referral_code)
    tiers_recalculate(now=timezone.now())
    assert tier_code(merchant, customer) == "ambassador"
    # Reached without a purchase, recorded by the job, and recorded as what it is.
    assert TierChange.objects.filter(customer=customer, to_name="Ambassador").get().reason == "upgrade"


def test_progress_shows_what_is_missing_for_the_next_tier(merchant):
    gold_and_platinum(merchant)
    customer = customer_create(merchant)
    buy(merchant, customer, "6600.00", "1")
    tier = selectors.customer_tier_get(merchant=merchant, customer=customer)
    progress = selectors.tier_progress_get(merchant=merchant, customer=customer, tier=tier, now=timezone.now())
    assert progress["next"] == {"code": "gold", "name": "Gold"}
    assert progress["remaining"] == {"total_spend": "3400.00"}
    assert progress["nearest"] == "total_spend"


def test_manual_override_with_an_end_date_expires_in_the_job(merchant):
    gold_and_platinum(merchant)
    customer = customer_create(merchant)
    until = timezone.now() + timedelta(days=7)
    tier_override_set(customer=customer, tier=Tier.objects.get(merchant=merchant, code="platinum"), until=until,
                      reason="VIP event guest", staff=None)
    assert tier_code(merchant, customer) == "platinum"
    tiers_recalculate(now=until - timedelta(hours=1))
    assert tier_code(merchant, customer) == "platinum"
    tiers_recalculate(now=until + timedelta(hours=1))
    assert tier_code(merchant, customer) == "base"
    assert list(TierChange.objects.filter(customer=customer).order_by("at").values_list("reason", flat=True)) == ["override", "override_ended"]


def test_deleting_a_tier_moves_its_customers_by_the_rules(merchant):
    gold_and_platinum(merchant)
    rich, middle = customer_create(merchant), customer_create(merchant)
    buy(merchant, rich, "30000.00", "1")
    buy(merchant, middle, "12000.00", "2")
    moved = tier_delete(tier=Tier.objects.get(merchant=merchant, code="platinum"))
    assert moved == 1
    assert tier_code(merchant, rich) == "gold"
    assert tier_code(merchant, middle) == "gold"
    assert not PointsAccount.objects.filter(merchant=merchant, tier__isnull=True).exists()


def test_preview_counts_customers_under_proposed_thresholds(merchant):
    gold_and_platinum(merchant)
    for number, amount in enumerate(["500.00", "9000.00", "12000.00", "31000.00"]):
        buy(merchant, customer_create(merchant), amount, str(number))
    proposed = [{"code": "base", "name": "Member", "rank": 1, "entry": {}},
                {"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "5000.00"}},
                {"code": "platinum", "name": "Platinum", "rank": 3, "entry": {"total_spend": "30000.00"}}]
    rows = {row["code"]: (row["would_have"], row["has_now"]) for row in tier_preview(merchant=merchant, proposed=proposed)}
    assert rows == {"base": (1, 2), "gold": (2, 1), "platinum": (1, 1)}


# ---------------------------------------------------------------- API


def test_api_tier_crud_and_customer_read(admin_client, merchant):
    response = admin_client.post("/api/v1/tiers", {"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000"}}, format="json")
    assert response.status_code == 201
    assert response.json() == {"code": "gold", "name": "Gold", "rank": 2, "accrual_percent": None, "max_redeem_percent": None,
                               "discount_percent": "0.00", "entry": {"total_spend": "10000.00"}, "window_days": None, "keep": None}
    assert [t["code"] for t in admin_client.get("/api/v1/tiers").json()] == ["base", "gold"]
    assert admin_client.patch("/api/v1/tiers/gold", {"accrual_percent": "7.00"}, format="json").json()["accrual_percent"] == "7.00"
    customer = customer_create(merchant)
    body = admin_client.get(f"/api/v1/customers/{customer.pk}").json()
    assert body["tier"] == {"code": "base", "name": "Member"}
    assert body["tier_progress"]["next"] == {"code": "gold", "name": "Gold"}
    assert body["tier_progress"]["remaining"] == {"total_spend": "10000.00"}
    assert admin_client.delete("/api/v1/tiers/gold").status_code == 204
    assert admin_client.get("/api/v1/tiers/gold").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"code": "x", "name": "X", "rank": 2, "entry": {"total_spend": "-1"}}, "entry.total_spend"),
        ({"code": "x", "name": "X", "rank": 2, "entry": {"total_spend": "lots"}}, "entry.total_spend"),
        ({"code": "x", "name": "X", "rank": 2, "entry": {"visits": 3}}, "entry.visits"),
        ({"code": "x", "name": "X", "rank": 2, "window_days": 0}, "window_days"),
        ({"code": "x", "name": "X", "rank": 2, "window_days": -5}, "window_days"),
        ({"code": "base", "name": "X", "rank": 2}, "code"),
        ({"code": "x", "name": "X", "rank": 1}, "rank"),
        ({"code": "x", "name": "X", "rank": 2, "accrual_percent": "101"}, "accrual_percent"),
        ({"name": "X", "rank": 2}, "code"),
        ({"code": "x", "name": "X", "rank": -1}, "rank"),
        ({"code": "x", "name": "X", "rank": 1001}, "rank"),
    ],
)
def test_api_tier_bad_input_names_the_field_and_writes_nothing(admin_client, merchant, body, field):
    response = admin_client.post("/api/v1/tiers", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Tier.objects.filter(merchant=merchant).count() == 1


def test_api_rank_zero_puts_a_start_tier_below_base(admin_client, merchant):
    response = admin_client.post("/api/v1/tiers", {"code": "bronze", "name": "Bronze", "rank": 0}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["rank"] == 0
    assert [tier.code for tier in Tier.objects.filter(merchant=merchant).order_by("rank")] == ["bronze", "base"]
    assert admin_client.post("/api/v1/tiers", {"code": "top", "name": "Top", "rank": 1000, "entry": {"total_spend": "1"}},
                             format="json").status_code == 201
    assert admin_client.patch("/api/v1/tiers/top", {"rank": 0}, format="json").status_code == 400


def test_moving_up_from_a_rank_zero_tier_is_an_upgrade(merchant):
    tier_create(merchant=merchant, data={"code": "bronze", "name": "Bronze", "rank": 0})
    Tier.objects.filter(merchant=merchant, code="base").update(entry={"total_spend": "100.00"})
    customer = customer_create(merchant)
    account = PointsAccount.objects.get(customer=customer)
    account.tier = Tier.objects.get(merchant=merchant, code="bronze")
    account.save(update_fields=["tier"])
    buy(merchant, customer, "150.00", "R-0")
    assert tier_code(merchant, customer) == "base"
    assert TierChange.objects.get(customer=customer).reason == TierChange.Reason.UPGRADE


def test_api_last_base_tier_cannot_be_deleted(admin_client, merchant):
    response = admin_client.delete("/api/v1/tiers/base")
    assert response.status_code == 422
    assert response.json()["code"] == "tier_required"


def test_api_pos_key_cannot_change_tiers(pos_client):
    assert pos_client.post("/api/v1/tiers", {"code": "x", "name": "X", "rank": 2}, format="json").status_code == 403
    assert pos_client.get("/api/v1/tiers").status_code == 403


def test_api_tiers_of_another_merchant_are_unreachable(admin_client, merchant):
    other = MerchantFactory()
    tier_create(merchant=other, data={"code": "secret", "name": "Secret", "rank": 5})
    assert admin_client.get("/api/v1/tiers/secret").status_code == 404
    assert admin_client.delete("/api/v1/tiers/secret").status_code == 404
    assert Tier.objects.filter(merchant=other, code="secret").exists()
    assert Receipt.objects.count() == 0


def test_receipt_from_a_till_whose_clock_runs_ahead_still_earns_the_upgrade(merchant):
    gold_and_platinum(merchant)
    customer = customer_create(merchant)
    receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                   draft=draft(("ITEM", "1", "10000.00"), purchased_at=timezone.now() + timedelta(minutes=2)), number="1")
    assert tier_code(merchant, customer) == "gold"
