"""Promotion services: validation as API.md names it, the stored shape, codes, offers, gifts, stamps and the audit trail."""
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError, ValidationError
from accounts.models import AuditEvent, Store
from loyalty.checkout import Draft, DraftLine
from loyalty.models import Tier
from loyalty.services import receipt_commit
from promotions import selectors, services
from promotions.models import Gift, Offer, PromoCode, Promotion, PromotionUse
from promotions.services.codes import CODE_ALPHABET
from tests.factories import MerchantFactory, customer_create

pytestmark = pytest.mark.django_db

MINIMAL = {"code": "milk-yellow", "name": "Milk -25%", "effects": [{"type": "percent_off", "value": "25"}]}


def promotion_make(merchant, **fields):
    return services.promotion_create(merchant=merchant, data={**MINIMAL, **fields})


def commit(merchant, customer, *, number: str, price: str = "100.00", sku: str = "MILK-1", at=None):
    draft = Draft(lines=(DraftLine(sku=sku, quantity=Decimal("1"), price=Decimal(price), category="dairy"),),
                  purchased_at=at or timezone.now())
    receipt, _calc = receipt_commit(merchant=merchant, store=Store.objects.get(merchant=merchant, code="main"), customer=customer,
                                    draft=draft, number=number, now=at or timezone.now())
    return receipt


# ---------------------------------------------------------------- create, defaults, the stored shape


def test_promotion_create_fills_every_default_of_the_api_shape(merchant):
    promotion = promotion_make(merchant)

    assert services.promotion_as_dict(promotion) == {
        "code": "milk-yellow", "name": "Milk -25%", "description": "", "active": True, "priority": 0, "exclusive": False,
        "starts_at": None, "ends_at": None, "weekly": [],
        "audience": {"tiers": [], "segments": [], "customers": [], "offer_only": False},
        "conditions": {"min_subtotal": None, "skus": [], "categories": [], "min_quantity": None, "previous_purchase_min": None,
                       "first_purchase": False, "every_nth": None, "code_required": False},
        "target": {"skus": [], "categories": []},
        "effects": [{"type": "percent_off", "value": "25.00"}],
        "block_accrual": False, "block_redemption": False,
        "limits": {"per_customer": None, "total_uses": None, "budget_amount": None, "budget_points": None},
        "uses": 0, "spent_amount": "0.00", "spent_points": 0,
    }


def test_promotion_create_keeps_every_mechanic_in_canonical_form(merchant):
    gold = Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=2, entry={"total_spend": "10000.00"})
    customer = customer_create(merchant)
    promotion_make(merchant, code="plants-20", audience={"offer_only": True})

    promotion = promotion_make(
        merchant, code="aquarium", priority=5, exclusive=True,
        starts_at="2026-12-01T09:00:00+03:00", ends_at="2027-01-03T22:00:00+03:00",
        weekly=[{"days": [5, 5, 6], "from": "18:00", "to": "24:00"}],
        audience={"tiers": [gold.code], "customers": [str(customer.pk)]},
        conditions={"min_subtotal": "3000", "skus": ["AQ-1"], "min_quantity": "2", "previous_purchase_min": 3000,
                    "first_purchase": True, "every_nth": {"n": 5, "days": 30}, "code_required": True},
        target={"categories": ["plants"]},
        effects=[{"type": "amount_off", "value": "100"}, {"type": "fixed_price", "value": "9.9"},
                 {"type": "points_multiplier", "value": "2"}, {"type": "extra_points_percent", "value": "2"},
                 {"type": "extra_points", "value": 50}, {"type": "unlock", "promotion": "plants-20", "days": 14, "uses": 2}],
        block_accrual=True, limits={"per_customer": 1, "total_uses": 100, "budget_amount": "41200", "budget_points": 3100},
    )

    shape = services.promotion_as_dict(promotion)
    assert shape["starts_at"] == "2026-12-01T09:00:00+03:00" and shape["ends_at"] == "2027-01-03T22:00:00+03:00"
    assert shape["weekly"] == [{"days": [5, 6], "from": "18:00", "to": "24:00"}]
    assert shape["audience"] == {"tiers": ["gold"], "segments": [], "customers": [str(customer.pk)], "offer_only": False}
    assert shape["conditions"] == {"min_subtotal": "3000.00", "skus": ["AQ-1"], "categories": [], "min_quantity": "2.000",
                                   "previous_purchase_min": "3000.00", "first_purchase": True, "every_nth": {"n": 5, "days": 30},
                                   "code_required": True}
    assert shape["effects"] == [{"type": "amount_off", "value": "100.00"}, {"type": "fixed_price", "value": "9.90"},
                                {"type": "points_multiplier", "value": "2.00"}, {"type": "extra_points_percent", "value": "2.00"},
                                {"type": "extra_points", "value": 50},
                                {"type": "unlock", "promotion": "plants-20", "days": 14, "uses": 2}]
    assert shape["limits"] == {"per_customer": 1, "total_uses": 100, "budget_amount": "41200.00", "budget_points": 3100}


BAD = [
    ({"colour": "red"}, "colour"),
    ({"uses": 5}, "uses"),
    ({"code": "milk yellow!"}, "code"),
    ({"name": "  "}, "name"),
    ({"active": "yes"}, "active"),
    ({"priority": "high"}, "priority"),
    ({"effects": []}, "effects"),
    ({"effects": [{"type": "free_beer", "value": "1"}]}, "effects[0].type"),
    ({"effects": [{"type": "percent_off", "value": "-5"}]}, "effects[0].value"),
    ({"effects": [{"type": "percent_off", "value": "100.01"}]}, "effects[0].value"),
    ({"effects": [{"type": "extra_points_percent", "value": "101"}]}, "effects[0].value"),
    ({"effects": [{"type": "amount_off", "value": "-1.00"}]}, "effects[0].value"),
    ({"effects": [{"type": "fixed_price", "value": "1E+2"}]}, "effects[0].value"),
    ({"effects": [{"type": "extra_points", "value": -10}]}, "effects[0].value"),
    ({"effects": [{"type": "points_multiplier"}]}, "effects[0].value"),
    ({"effects": [{"type": "percent_off", "value": "10", "extra": 1}]}, "effects[0].extra"),
    ({"effects": [{"type": "unlock", "promotion": "nope", "days": 14}]}, "effects[0].promotion"),
    ({"effects": [{"type": "unlock", "promotion": "milk-yellow", "days": -1}]}, "effects[0].days"),
    ({"starts_at": "2026-12-02T00:00:00+03:00", "ends_at": "2026-12-01T00:00:00+03:00"}, "starts_at"),
    ({"starts_at": "2026-12-01T00:00:00+03:00", "ends_at": "2026-12-01T00:00:00+03:00"}, "starts_at"),
    ({"starts_at": "2026-12-01T00:00:00"}, "starts_at"),
    ({"weekly": [{"days": [5], "from": "20:00", "to": "18:00"}]}, "weekly[0].from"),
    ({"weekly": [{"days": [5], "from": "18:00", "to": "18:00"}]}, "weekly[0].from"),
    ({"weekly": [{"days": [8], "from": "18:00", "to": "20:00"}]}, "weekly[0].days"),
    ({"weekly": [{"days": [5], "from": "6pm", "to": "20:00"}]}, "weekly[0].from"),
    ({"audience": {"tiers": ["platinum"]}}, "audience.tiers"),
    ({"audience": {"segments": ["vip"]}}, "audience.segments"),
    ({"audience": {"customers": ["00000000-0000-0000-0000-000000000000"]}}, "audience.customers"),
    ({"audience": {"customers": ["not-an-id"]}}, "audience.customers"),
    ({"audience": {"colour": "red"}}, "audience.colour"),
    ({"conditions": {"min_subtotal": "-1"}}, "conditions.min_subtotal"),
    ({"conditions": {"min_quantity": "0"}}, "conditions.min_quantity"),
    ({"conditions": {"every_nth": {"n": -5}}}, "conditions.every_nth.n"),
    ({"conditions": {"every_nth": {"n": 5, "days": 0}}}, "conditions.every_nth.days"),
    ({"conditions": {"sku": ["A"]}}, "conditions.sku"),
    ({"target": {"skus": "MILK-1"}}, "target.skus"),
    ({"limits": {"per_customer": -1}}, "limits.per_customer"),
    ({"limits": {"budget_amount": "-100"}}, "limits.budget_amount"),
    ({"limits": {"budget_points": 1.5}}, "limits.budget_points"),
]


@pytest.mark.parametrize(("change", "field"), BAD)
def test_promotion_create_bad_input_names_the_field_and_writes_nothing(merchant, change, field):
    promotion_make(merchant)  # an existing promotion for unlock targets
    before = (Promotion.objects.count(), AuditEvent.objects.count())

    with pytest.raises(ValidationError) as error:
        services.promotion_create(merchant=merchant, data={**MINIMAL, "code": "other", **change})

    assert field in error.value.message_dict, error.value.message_dict
    assert (Promotion.objects.count(), AuditEvent.objects.count()) == before


def test_promotion_create_requires_code_name_and_effects(merchant):
    with pytest.raises(ValidationError) as error:
        services.promotion_create(merchant=merchant, data={})
    assert set(error.value.message_dict) == {"code", "name", "effects"}


def test_promotion_code_is_unique_per_merchant_only(merchant):
    promotion_make(merchant)
    with pytest.raises(ValidationError) as error:
        promotion_make(merchant)
    assert "code" in error.value.message_dict
    assert promotion_make(MerchantFactory()).code == "milk-yellow"


def test_promotion_tiers_and_customers_of_another_merchant_are_unknown(merchant):
    other = MerchantFactory()
    Tier.objects.create(merchant=other, code="gold", name="Gold", rank=2, entry={})
    stranger = customer_create(other)
    with pytest.raises(ValidationError) as error:
        promotion_make(merchant, audience={"tiers": ["gold"], "customers": [str(stranger.pk)]})
    assert {"audience.tiers", "audience.customers"} <= set(error.value.message_dict)


def test_promotion_update_judges_the_interval_with_the_stored_end(merchant):
    promotion = promotion_make(merchant, ends_at="2026-12-01T00:00:00+03:00")

    with pytest.raises(ValidationError) as error:
        services.promotion_update(promotion=promotion, data={"starts_at": "2026-12-05T00:00:00+03:00"})

    assert "starts_at" in error.value.message_dict
    promotion.refresh_from_db()
    assert promotion.starts_at is None


def test_promotion_update_changes_only_what_is_sent_and_is_audited(merchant):
    promotion = promotion_make(merchant, target={"skus": ["MILK-1"]})

    services.promotion_update(promotion=promotion, data={"active": False, "conditions": {"min_subtotal": "500"}})

    promotion.refresh_from_db()
    assert promotion.active is False
    assert promotion.target == {"skus": ["MILK-1"], "categories": []}
    assert promotion.conditions["min_subtotal"] == "500.00"
    event = AuditEvent.objects.filter(merchant=merchant, action="promotion.updated").get()
    assert event.target == "milk-yellow" and event.data["changes"]["active"] == [True, False]


def test_every_promotion_write_changes_the_merchant_version(merchant):
    seen = [services.promotions_version(merchant=merchant)]
    assert seen == [0]
    promotion = promotion_make(merchant)
    seen.append(services.promotions_version(merchant=merchant))
    services.promotion_update(promotion=promotion, data={"priority": 3})
    seen.append(services.promotions_version(merchant=merchant))
    services.promotion_delete(promotion=promotion)
    seen.append(services.promotions_version(merchant=merchant))
    assert len(set(seen)) == 4
    assert services.promotions_version(merchant=MerchantFactory()) == 0


def test_promotion_delete_unused_is_gone_and_audited(merchant):
    promotion = promotion_make(merchant)

    services.promotion_delete(promotion=promotion)

    assert not Promotion.objects.filter(merchant=merchant).exists()
    assert list(AuditEvent.objects.filter(merchant=merchant).values_list("action", flat=True).order_by("pk")) == [
        "promotion.created", "promotion.deleted"]


def test_promotion_delete_of_a_used_promotion_is_409_in_use(merchant):
    promotion = promotion_make(merchant)
    customer = customer_create(merchant)
    receipt = commit(merchant, customer, number="R-1")  # the promotion applies: one use recorded
    assert PromotionUse.objects.get(promotion=promotion).receipt == receipt

    with pytest.raises(ApplicationError) as error:
        services.promotion_delete(promotion=promotion)

    assert (error.value.status, error.value.code) == (409, "promotion_in_use")
    assert Promotion.objects.filter(pk=promotion.pk).exists()


def test_promotion_delete_of_an_unlocked_promotion_is_refused(merchant):
    plants = promotion_make(merchant, code="plants-20")
    promotion_make(merchant, code="aquarium", effects=[{"type": "unlock", "promotion": "plants-20", "days": 14}])

    with pytest.raises(ApplicationError) as error:
        services.promotion_delete(promotion=plants)
    assert error.value.code == "promotion_in_use"
    with pytest.raises(ValidationError) as renamed:
        services.promotion_update(promotion=plants, data={"code": "plants-30"})
    assert "code" in renamed.value.message_dict


# ---------------------------------------------------------------- selectors


def test_promotion_list_by_state(merchant):
    now = timezone.now()
    promotion_make(merchant, code="live")
    promotion_make(merchant, code="soon", starts_at=(now + timedelta(days=1)).isoformat())
    promotion_make(merchant, code="over", ends_at=(now - timedelta(seconds=1)).isoformat())
    promotion_make(merchant, code="off", active=False)
    promotion_make(MerchantFactory(), code="elsewhere")

    def codes(state):
        return sorted(selectors.promotion_list(merchant=merchant, state=state, now=now).values_list("code", flat=True))

    assert codes("live") == ["live"]
    assert codes("scheduled") == ["soon"]
    assert codes("ended") == ["off", "over"]
    assert codes(None) == ["live", "off", "over", "soon"]


# ---------------------------------------------------------------- codes


def test_code_create_public_code_is_unique_without_regard_to_case(merchant):
    promotion = promotion_make(merchant)
    services.code_create(promotion=promotion, data={"code": "SPRING30", "per_customer": 1})

    with pytest.raises(ValidationError) as error:
        services.code_create(promotion=promotion, data={"code": "spring30"})

    assert "code" in error.value.message_dict
    found = selectors.code_find(merchant=merchant, codes=["Spring30"])
    assert list(found) == ["SPRING30"] and found["SPRING30"].per_customer == 1
    assert selectors.code_find(merchant=MerchantFactory(), codes=["SPRING30"]) == {}
    other = promotion_make(MerchantFactory())
    assert services.code_create(promotion=other, data={"code": "spring30"}).code == "spring30"


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "SP"}, "code"),
    ({"code": "SPRING 30"}, "code"),
    ({"code": "SPRING30", "per_customer": 0}, "per_customer"),
    ({"code": "SPRING30", "uses": -1}, "uses"),
    ({"code": "SPRING30", "expires_at": "tomorrow"}, "expires_at"),
    ({"code": "SPRING30", "colour": "red"}, "colour"),
    ({"count": 0}, "count"),
    ({"count": 100_001}, "count"),
    ({"count": "10"}, "count"),
    ({"prefix": "PET-"}, "count"),
    ({"count": 2, "prefix": "PET!"}, "prefix"),
    ({"customers": ["00000000-0000-0000-0000-000000000000"]}, "customers"),
    ({"count": 5, "customers": [], "colour": 1}, "colour"),
])
def test_codes_create_bad_input_names_the_field_and_writes_nothing(merchant, data, field):
    promotion = promotion_make(merchant)
    with pytest.raises(ValidationError) as error:
        services.codes_create(promotion=promotion, data=data)
    assert field in error.value.message_dict, error.value.message_dict
    assert not PromoCode.objects.exists()


def test_code_batch_create_makes_unique_codes_from_the_alphabet_without_look_alikes(merchant, django_assert_max_num_queries):
    promotion = promotion_make(merchant)

    with django_assert_max_num_queries(50):  # set-based: a few lookups and batched INSERTs, not one per code
        created = services.codes_create(promotion=promotion, data={"count": 1500, "prefix": "pet-"})

    codes = list(PromoCode.objects.filter(promotion=promotion).values_list("code", flat=True))
    assert created == 1500 and len(codes) == 1500 and len({code.upper() for code in codes}) == 1500
    for code in codes:
        assert code.startswith("PET-") and len(code) >= 8
        assert set(code[4:]) <= set(CODE_ALPHABET) and len(code[4:]) >= 8
    assert not set(CODE_ALPHABET) & set("O0I1")
    assert set(PromoCode.objects.filter(promotion=promotion).values_list("kind", "customer", "used_at").distinct()) == {("personal", None, None)}
    event = AuditEvent.objects.get(merchant=merchant, action="promotion.codes_generated")
    assert event.data["count"] == 1500


def test_code_batch_create_binds_one_code_to_each_customer(merchant):
    promotion = promotion_make(merchant)
    customers = [customer_create(merchant) for _ in range(3)]

    created = services.codes_create(promotion=promotion, data={"customers": [str(c.pk) for c in customers],
                                                               "expires_at": "2027-01-31T23:59:59+03:00"})

    assert created == 3
    rows = list(PromoCode.objects.filter(promotion=promotion))
    assert {row.customer_id for row in rows} == {c.pk for c in customers}
    assert all(len(row.code) >= 8 and row.expires_at == datetime(2027, 1, 31, 20, 59, 59, tzinfo=dt_timezone.utc) for row in rows)
    with pytest.raises(ValidationError) as error:
        services.codes_create(promotion=promotion, data={"customers": [str(customers[0].pk)], "count": 2})
    assert "count" in error.value.message_dict


def test_code_batch_never_takes_an_existing_code_in_another_case(merchant, monkeypatch):
    promotion = promotion_make(merchant)
    services.code_create(promotion=promotion, data={"code": "abcdefgh"})
    draws = iter(["ABCDEFGH", "ABCDEFGJ"])
    monkeypatch.setattr("promotions.services.codes.code_generate", lambda prefix="": prefix + next(draws))

    services.codes_create(promotion=promotion, data={"count": 1})

    assert sorted(PromoCode.objects.values_list("code", flat=True)) == ["ABCDEFGJ", "abcdefgh"]


# ---------------------------------------------------------------- offers and gifts


def test_offer_grant_and_withdraw(merchant):
    customer = customer_create(merchant)
    plants = promotion_make(merchant, code="plants-20", audience={"offer_only": True})
    now = timezone.now()

    offer = services.offer_grant(customer=customer, promotion=plants, days=14, uses=2, now=now)

    assert (offer.ends_at, offer.uses_left) == (now + timedelta(days=14), 2)
    assert list(selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now)) == [offer]
    assert not selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now + timedelta(days=14)).exists()
    services.offer_withdraw(offer=offer)
    assert not selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now).exists()
    assert list(AuditEvent.objects.filter(merchant=merchant, action__startswith="promotion.offer").values_list("action", flat=True)
                .order_by("pk")) == ["promotion.offer_granted", "promotion.offer_withdrawn"]


def test_offer_validate_names_the_bad_fields(merchant):
    customer = customer_create(merchant)
    promotion_make(MerchantFactory(), code="theirs")
    with pytest.raises(ValidationError) as error:
        services.offer_validate(customer=customer, data={"promotion": "theirs", "days": 0, "uses": -1, "x": 1})
    assert set(error.value.message_dict) == {"promotion", "days", "uses", "x"}
    assert not Offer.objects.exists()


def test_gift_grant_withdraw_and_used_gift_is_kept(merchant):
    customer = customer_create(merchant)

    gift = services.gift_grant(customer=customer, data={"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5"})

    assert (gift.status, gift.quantity) == ("open", Decimal("5"))
    assert list(selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=timezone.now())) == [gift]
    services.gift_withdraw(gift=gift)
    gift.refresh_from_db()
    assert gift.status == "withdrawn" and gift.withdrawn_at is not None
    assert not selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=timezone.now()).exists()

    receipt = commit(merchant, customer, number="G-1")
    used = Gift.objects.create(merchant=merchant, customer=customer, name="Bag", sku="BAG", quantity=1, status="used", receipt=receipt)
    with pytest.raises(ApplicationError) as error:
        services.gift_withdraw(gift=used)
    assert (error.value.status, error.value.code) == (409, "gift_used")


@pytest.mark.parametrize(("data", "field"), [
    ({"sku": "A"}, "name"), ({"name": "A"}, "sku"), ({"name": "A", "sku": "B", "quantity": "0"}, "quantity"),
    ({"name": "A", "sku": "B", "quantity": "-1"}, "quantity"), ({"name": "A", "sku": "B", "expires_at": "soon"}, "expires_at"),
    ({"name": "A", "sku": "B", "colour": 1}, "colour"),
])
def test_gift_grant_bad_input_names_the_field(merchant, data, field):
    customer = customer_create(merchant)
    with pytest.raises(ValidationError) as error:
        services.gift_grant(customer=customer, data=data)
    assert field in error.value.message_dict
    assert not Gift.objects.exists()


# ---------------------------------------------------------------- stamps


def test_stamp_list_counts_purchases_since_the_last_reward(merchant):
    customer = customer_create(merchant)
    card = promotion_make(merchant, code="fifth", conditions={"every_nth": {"n": 5, "days": 30}})
    promotion_make(merchant, code="plain")
    first = commit(merchant, customer, number="S-1")
    commit(merchant, customer, number="S-2")

    [stamps] = selectors.stamp_list_for_customer(merchant=merchant, customer=customer, now=timezone.now())

    assert stamps.as_dict() == {"promotion": "fifth", "name": "Milk -25%", "n": 5, "count": 2, "remaining": 3}
    PromotionUse.objects.create(merchant=merchant, promotion=card, customer=customer, receipt=first)
    [stamps] = selectors.stamp_list_for_customer(merchant=merchant, customer=customer, now=timezone.now())
    assert stamps.count == 1


def test_stamp_list_skips_cards_whose_audience_excludes_the_customer(merchant):
    Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=2, entry={"total_spend": "10000.00"})
    customer = customer_create(merchant)
    promotion_make(merchant, code="gold-card", audience={"tiers": ["gold"]}, conditions={"every_nth": {"n": 3}})
    assert selectors.stamp_list_for_customer(merchant=merchant, customer=customer, now=timezone.now()) == []
