"""The marketer's promotion screens: roles, tenancy, the editor's API dict, field errors, delete in use,
codes and their CSV, gifts and offers on the customer page."""
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import AuditEvent, Role
from loyalty.models import Tier
from promotions.models import Gift, Offer, PromoCode, Promotion
from promotions.services import promotion_as_dict, promotion_create
from tests.factories import MembershipFactory, MerchantFactory, customer_create

pytestmark = pytest.mark.django_db


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def promotion(merchant):
    return promotion_create(merchant=merchant, data={"code": "milk-yellow", "name": "Milk -25%",
                                                     "effects": [{"type": "percent_off", "value": "25"}]})


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone="+79991234567", name="Anna Petrova")


def pages(promotion, customer):
    return ["/office/promotions/", "/office/promotions/?state=ended", "/office/promotions/new/",
            f"/office/promotions/{promotion.code}/", f"/office/promotions/{promotion.code}/codes/",
            f"/office/promotions/{promotion.code}/codes.csv"]


# ---------- access ----------

def test_pages_per_role(merchant, owner, marketer, cashier, promotion, customer):
    for url in pages(promotion, customer):
        assert client_for(owner).get(url).status_code == 200, url
        assert client_for(marketer).get(url).status_code == 200, url
        assert client_for(cashier).get(url).status_code == 403, url
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_cashier_cannot_write(cashier, promotion, customer):
    client = client_for(cashier)
    assert client.post("/office/promotions/new/", {"name": "x", "code": "x"}).status_code == 403
    assert client.post(f"/office/promotions/{promotion.code}/delete/").status_code == 403
    assert client.post(f"/office/promotions/customers/{customer.pk}/gifts/", {"name": "g", "sku": "S", "quantity": "1"}).status_code == 403
    assert Promotion.objects.count() == 1 and Gift.objects.count() == 0


def test_another_merchants_promotion_is_404(promotion, customer):
    other = MembershipFactory(merchant=MerchantFactory(), role=Role.OWNER)
    client = client_for(other)
    for url in pages(promotion, customer)[3:]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/office/promotions/{promotion.code}/delete/").status_code == 404
    assert client.post(f"/office/promotions/{promotion.code}/active/", {"active": "false"}).status_code == 404
    assert client.post(f"/office/promotions/customers/{customer.pk}/gifts/", {"name": "g", "sku": "S", "quantity": "1"}).status_code == 404
    assert client.get("/office/promotions/").content.decode().count("milk-yellow") == 0
    assert Promotion.objects.get(pk=promotion.pk).active


def test_menu_has_promotions_for_marketer_not_cashier(marketer):
    body = client_for(marketer).get("/office/").content.decode()
    assert 'href="/office/promotions/"' in body


# ---------- list ----------

def test_list_tabs_and_budget(merchant, owner):
    live = promotion_create(merchant=merchant, data={"code": "fri", "name": "Friday evenings",
                                                     "weekly": [{"days": [5], "from": "18:00", "to": "20:00"}],
                                                     "effects": [{"type": "points_multiplier", "value": "2"}],
                                                     "limits": {"budget_amount": "5000", "budget_points": 300}})
    Promotion.objects.filter(pk=live.pk).update(spent_amount=Decimal("1240"), uses=7, spent_points=40)
    promotion_create(merchant=merchant, data={"code": "later", "name": "Next year", "starts_at": "2099-01-01T00:00:00+03:00",
                                              "effects": [{"type": "percent_off", "value": "5"}]})
    client = client_for(owner)
    body = client.get("/office/promotions/").content.decode()
    assert "Friday evenings" in body and "Next year" not in body
    assert "1,240.00" in body and "5,000.00" in body and " of " in body
    assert "Fri 18:00–20:00" in body
    assert "Next year" in client.get("/office/promotions/?state=scheduled").content.decode()
    # Ending it from the list: active false, moves to Ended.
    response = client.post("/office/promotions/fri/active/", {"active": "false"})
    assert response.status_code == 302
    assert not Promotion.objects.get(pk=live.pk).active
    assert "Friday evenings" in client.get("/office/promotions/?state=ended").content.decode()


# ---------- editor ----------

def full_post(customer, **overrides):
    data = {
        "name": "Pet food -10%", "code": "pet-10", "description": "", "active": "on", "priority": "5",
        "starts_at": "2026-12-01T10:00", "ends_at": "2026-12-31T00:00",
        "window_1_days": ["5", "6"], "window_1_from": "18:00", "window_1_to": "20:00",
        "audience_tiers": ["gold"], "audience_customers": customer.phone,
        "min_subtotal": "500", "cond_skus": "CAT-1, CAT-2", "min_quantity": "2", "first_purchase": "",
        "every_nth_n": "5", "every_nth_days": "30",
        "target_categories": "Pets",
        "effect_1_type": "percent_off", "effect_1_value": "10",
        "effect_2_type": "extra_points", "effect_2_value": "50",
        "block_accrual": "on",
        "per_customer": "1", "budget_amount": "5000",
    }
    data.update(overrides)
    return data


def test_create_via_form_builds_the_api_dict(merchant, marketer, customer):
    Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=2)
    response = client_for(marketer).post("/office/promotions/new/", full_post(customer))
    assert response.status_code == 302, response.content.decode()[:3000]
    promotion = Promotion.objects.get(merchant=merchant, code="pet-10")
    data = promotion_as_dict(promotion)
    assert data["name"] == "Pet food -10%" and data["priority"] == 5 and data["active"] is True
    assert data["starts_at"].startswith("2026-12-01T10:00:00") and data["ends_at"].startswith("2026-12-31T00:00:00")
    assert data["weekly"] == [{"days": [5, 6], "from": "18:00", "to": "20:00"}]
    assert data["audience"]["tiers"] == ["gold"] and data["audience"]["customers"] == [str(customer.pk)]
    assert data["conditions"]["skus"] == ["CAT-1", "CAT-2"] and data["conditions"]["every_nth"] == {"n": 5, "days": 30}
    assert Decimal(data["conditions"]["min_subtotal"]) == Decimal("500")
    assert data["target"] == {"skus": [], "categories": ["Pets"]}
    assert [effect["type"] for effect in data["effects"]] == ["percent_off", "extra_points"]
    assert data["block_accrual"] is True and data["block_redemption"] is False
    assert data["limits"]["per_customer"] == 1 and Decimal(data["limits"]["budget_amount"]) == Decimal("5000")
    assert AuditEvent.objects.filter(merchant=merchant, action="promotion.created", target="pet-10").exists()
    # The editor shows it back, and saving unchanged keeps the same dict.
    client = client_for(marketer)
    page = client.get("/office/promotions/pet-10/").content.decode()
    assert customer.phone in page and 'value="CAT-1, CAT-2"' in page
    assert client.post("/office/promotions/pet-10/", full_post(customer, name="Pet food -15%")).status_code == 302
    promotion.refresh_from_db()
    assert promotion.name == "Pet food -15%" and promotion.weekly == data["weekly"]


@pytest.mark.parametrize("overrides, field_id", [
    ({"effect_1_value": "150"}, "id_effect_1_value"),            # service: a percent over 100
    ({"window_1_from": "20:00", "window_1_to": "18:00"}, "id_window_1_from"),  # service: from not before to
    ({"starts_at": "2027-01-01T00:00"}, "id_starts_at"),        # service: start not before end
    ({"audience_customers": "+79990000000"}, "id_audience_customers"),  # form: no such customer
    ({"audience_tiers": ["platinum"]}, "id_audience_tiers"),    # form: not a choice
    ({"effect_1_type": "", "effect_2_type": ""}, "id_effect_1_type"),  # no effect at all
    ({"code": "bad code!"}, "id_code"),                          # service: code characters
    ({"effect_2_type": "unlock", "effect_2_promotion": ""}, "id_effect_2_promotion"),
])
def test_bad_input_rerenders_with_the_field_error_and_writes_nothing(merchant, owner, customer, overrides, field_id):
    Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=2)
    before = AuditEvent.objects.count()
    response = client_for(owner).post("/office/promotions/new/", full_post(customer, **overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'{field_id}_error_1' in body or f'id="{field_id}_0_error_1"' in body or field_id + "_error" in body, body[body.find("field-error") - 500:][:1500]
    assert 'value="Pet food -10%"' in body  # what was typed is kept
    assert not Promotion.objects.filter(merchant=merchant).exists()
    assert AuditEvent.objects.count() == before


def test_edit_error_keeps_the_stored_promotion(merchant, owner, customer, promotion):
    response = client_for(owner).post(f"/office/promotions/{promotion.code}/", full_post(customer, audience_tiers=[], effect_1_value="-5"))
    assert response.status_code == 400
    assert "id_effect_1_value_error_1" in response.content.decode()
    promotion.refresh_from_db()
    assert promotion.effects == [{"type": "percent_off", "value": "25.00"}] or promotion.effects[0]["value"].startswith("25")


def test_delete_unused_and_refused_when_used(merchant, owner, promotion):
    client = client_for(owner)
    used = promotion_create(merchant=merchant, data={"code": "used", "name": "Used one", "effects": [{"type": "percent_off", "value": "5"}]})
    Promotion.objects.filter(pk=used.pk).update(uses=3)
    response = client.post("/office/promotions/used/delete/", follow=True)
    assert Promotion.objects.filter(pk=used.pk).exists()
    assert "cannot be deleted" in response.content.decode()
    assert client.post(f"/office/promotions/{promotion.code}/delete/").status_code == 302
    assert not Promotion.objects.filter(pk=promotion.pk).exists()


# ---------- codes ----------

def test_codes_public_batch_and_csv(merchant, marketer, promotion, customer):
    client = client_for(marketer)
    other = customer_create(merchant, phone="+79997654321")
    assert client.post(f"/office/promotions/{promotion.code}/codes/public/", {"code": "SPRING30", "per_customer": "1"}).status_code == 302
    response = client.post(f"/office/promotions/{promotion.code}/codes/public/", {"code": "spring30"})
    assert response.status_code == 400 and "already taken" in response.content.decode()
    response = client.post(f"/office/promotions/{promotion.code}/codes/batch/", {"prefix": "PET-", "customers": f"{customer.phone}\n{other.card_number}"})
    assert response.status_code == 302
    personal = PromoCode.objects.filter(promotion=promotion, kind="personal")
    assert {str(row.customer_id) for row in personal} == {str(customer.pk), str(other.pk)}
    assert all(row.code.startswith("PET-") and len(row.code) >= 12 for row in personal)
    assert client.post(f"/office/promotions/{promotion.code}/codes/batch/", {"count": "3"}).status_code == 302
    assert PromoCode.objects.filter(promotion=promotion).count() == 6
    # Unknown customer: named, nothing written.
    response = client.post(f"/office/promotions/{promotion.code}/codes/batch/", {"customers": "+79990001122"})
    assert response.status_code == 400 and "id_customers_error_1" in response.content.decode()
    assert PromoCode.objects.filter(promotion=promotion).count() == 6
    page = client.get(f"/office/promotions/{promotion.code}/codes/").content.decode()
    assert "SPRING30" in page and customer.phone in page
    csv_response = client.get(f"/office/promotions/{promotion.code}/codes.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = b"".join(csv_response.streaming_content).decode().strip().splitlines()
    assert lines[0] == "code,customer,phone,used_at,receipt"
    assert len(lines) == 7
    assert any(line.endswith(f"{customer.pk},{customer.phone},,") for line in lines)


# ---------- gifts and offers on the customer page ----------

def test_gift_and_offer_grant_and_withdraw(merchant, marketer, customer, promotion):
    client = client_for(marketer)
    url = f"/office/customers/{customer.pk}/"
    assert "Gifts and offers" in client.get(url).content.decode()
    response = client.post(f"/office/promotions/customers/{customer.pk}/gifts/", {"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5"})
    assert response.status_code == 302
    gift = Gift.objects.get(customer=customer)
    assert gift.quantity == Decimal("5") and gift.status == "open"
    response = client.post(f"/office/promotions/customers/{customer.pk}/offers/", {"promotion": promotion.code, "days": "7", "uses": "1"})
    assert response.status_code == 302
    offer = Offer.objects.get(customer=customer)
    page = client.get(url).content.decode()
    assert "5 packs of Whiskas" in page and "Milk -25%" in page
    assert client.post(f"/office/promotions/customers/{customer.pk}/gifts/{gift.pk}/withdraw/").status_code == 302
    assert client.post(f"/office/promotions/customers/{customer.pk}/offers/{offer.pk}/withdraw/").status_code == 302
    gift.refresh_from_db()
    offer.refresh_from_db()
    assert gift.status == "withdrawn" and offer.withdrawn_at is not None
    page = client.get(url).content.decode()
    assert "No gifts waiting." in page and "No live offers." in page


def test_gift_bad_input_shows_field_error(merchant, owner, customer):
    response = client_for(owner).post(f"/office/promotions/customers/{customer.pk}/gifts/", {"name": "", "sku": "X", "quantity": "-1"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "id_name_error_1" in body and "id_quantity_error_1" in body
    assert not Gift.objects.exists()


def test_another_merchants_gift_is_404(merchant, owner, customer):
    other_merchant = MerchantFactory()
    stranger = customer_create(other_merchant)
    from promotions.services import gift_grant

    gift = gift_grant(customer=stranger, data={"name": "g", "sku": "S"})
    client = client_for(owner)
    assert client.post(f"/office/promotions/customers/{customer.pk}/gifts/{gift.pk}/withdraw/").status_code == 404
    assert client.post(f"/office/customers/{stranger.pk}/").status_code in (404, 405)
    gift.refresh_from_db()
    assert gift.status == "open"


# ---------- live preview and back-test on the editor ----------

def test_preview_prices_the_sample_with_the_promotion_alone(merchant, marketer, customer):
    other = promotion_create(merchant=merchant, data={"code": "all-5", "name": "All -5%", "effects": [{"type": "percent_off", "value": "5"}]})
    client = client_for(marketer)
    post = full_post(customer, audience_tiers=[], audience_customers="", min_subtotal="", cond_skus="", min_quantity="", every_nth_n="",
                     every_nth_days="", target_categories="Dairy", effect_2_type="", starts_at="", ends_at="", window_1_days=[],
                     window_1_from="", window_1_to="", sample_lines="MILK-1, Dairy, 2, 100.00\nBREAD-1, Bakery, 1, 50")
    response = client.post("/office/promotions/new/preview/", post)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Pet food -10%" in body and "20.00" in body and "230.00" in body  # 10 % off the dairy line only
    assert "All -5%" not in body
    assert not Promotion.objects.filter(code="pet-10").exists() and Promotion.objects.count() == 1
    # A bad sample line or a bad field is said, not a 500.
    assert "Line 1" in client.post("/office/promotions/new/preview/", {**post, "sample_lines": "MILK-1, 2"}).content.decode()
    assert "Value" in client.post("/office/promotions/new/preview/", {**post, "effect_1_value": "150"}).content.decode()
    # Editing: the stored promotion's code is kept.
    response = client.post(f"/office/promotions/new/preview/?code={other.code}", {**post, "effect_1_value": "50"})
    assert "100.00" in response.content.decode()
    assert client_for(MembershipFactory(merchant=merchant, role=Role.CASHIER)).post("/office/promotions/new/preview/", post).status_code == 403


def test_backtest_button_says_what_it_would_have_done(merchant, owner, customer):
    from accounts.models import Store
    from loyalty.services import receipt_commit
    from tests.factories import draft

    store = Store.objects.get(merchant=merchant, code="main")
    receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft(("MILK-1", "2", "100.00")), number="R-1")
    receipt_commit(merchant=merchant, store=store, customer=None, draft=draft(("MILK-1", "1", "100.00")), number="R-2")
    post = full_post(customer, audience_tiers=[], audience_customers="", min_subtotal="", cond_skus="", min_quantity="", every_nth_n="",
                     every_nth_days="", target_categories="", effect_2_type="", starts_at="", ends_at="", window_1_days=[],
                     window_1_from="", window_1_to="", backtest_days="90")
    response = client_for(owner).post("/office/promotions/new/backtest/", post)
    assert response.status_code == 200
    body = response.content.decode()
    assert "On the last 90 days this would have touched 2 receipts of 1 customer and cost" in body and "30.00" in body
    assert "Days" in client_for(owner).post("/office/promotions/new/backtest/", {**post, "backtest_days": "0"}).content.decode()
    assert not Promotion.objects.exists()
