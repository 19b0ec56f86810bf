"""Tier rules as the editor and the tier card apply them: one start tier, and progress that agrees with the earned tier."""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from loyalty.models import Tier
from loyalty.services import receipt_commit
from loyalty.services.tiers import tier_create, tier_override_set
from tests.factories import MembershipFactory, client_for as api_client_for, customer_create, draft

pytestmark = pytest.mark.django_db


def office(merchant) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=Role.MARKETER).user)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def tier_post(**fields):
    data = {"name": "Silver", "code": "silver", "rank": "5", "accrual_percent": "", "max_redeem_percent": "", "discount_percent": "",
            "entry_total_spend": "", "entry_purchases": "", "entry_single_receipt": "", "entry_referrals": "", "window_days": "",
            "keep_total_spend": "", "keep_purchases": "", "keep_single_receipt": "", "keep_referrals": ""}
    data.update(fields)
    return data


# ---------- one start tier ----------

def test_editor_refuses_a_second_start_tier_above_the_first(merchant):
    response = office(merchant).post("/office/tiers/new/", tier_post(code="vip", name="VIP", rank="5"))
    assert response.status_code == 400
    assert not Tier.objects.filter(merchant=merchant, code="vip").exists()
    assert "Member (rank 1) is the start tier" in text_of(response)


def test_editor_preview_says_the_same(merchant):
    response = office(merchant).post("/office/tiers/new/", tier_post(code="vip", name="VIP", rank="5", action="preview"))
    assert "Member (rank 1) is the start tier" in text_of(response)


def test_editor_refuses_removing_every_condition_from_a_tier_above_the_start(merchant):
    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000.00"}})
    response = office(merchant).post("/office/tiers/gold/edit/", tier_post(code="gold", name="Gold", rank="2"))
    assert response.status_code == 400
    assert Tier.objects.get(merchant=merchant, code="gold").entry == {"total_spend": "10000.00"}


def test_editor_allows_a_tier_with_conditions_above_the_start(merchant):
    response = office(merchant).post("/office/tiers/new/", tier_post(entry_total_spend="5000"))
    assert response.status_code == 302
    assert Tier.objects.get(merchant=merchant, code="silver").entry == {"total_spend": "5000.00"}


def test_editor_accepts_a_start_tier_at_rank_zero_and_refuses_outside_0_to_1000(merchant):
    response = office(merchant).post("/office/tiers/new/", tier_post(code="bronze", name="Bronze", rank="0"))
    assert response.status_code == 302
    assert Tier.objects.get(merchant=merchant, code="bronze").rank == 0
    for rank in ("-1", "1001"):
        response = office(merchant).post("/office/tiers/new/", tier_post(code="x", name="X", rank=rank, entry_total_spend="5"))
        assert response.status_code == 400
        assert not Tier.objects.filter(merchant=merchant, code="x").exists()


def test_tier_list_warns_when_two_tiers_have_no_entry_conditions(merchant):
    # The API may create one (docs/api.md: a new start tier below `base` takes rank 0); the list says what it means.
    Tier.objects.create(merchant=merchant, code="start", name="Newcomer", rank=0, entry={})
    response = office(merchant).get("/office/tiers/")
    assert "New customers start in Newcomer" in text_of(response)
    assert 'data-testid="shadowed-start"' in response.content.decode()


def test_tier_list_has_no_warning_with_one_start_tier(merchant):
    assert 'data-testid="shadowed-start"' not in office(merchant).get("/office/tiers/").content.decode()


# ---------- progress agrees with the earned tier ----------

@pytest.fixture
def overridden_down(merchant):
    """A customer who earned Platinum 40 days ago (a 30-day window), set to Gold by hand."""
    gold = tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000.00"}})
    tier_create(merchant=merchant, data={"code": "platinum", "name": "Platinum", "rank": 3, "window_days": 30,
                                         "entry": {"total_spend": "30000.00"}})
    past = timezone.now() - timedelta(days=40)
    customer = customer_create(merchant, name="Anna", at=past - timedelta(days=1))
    receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                   draft=draft(("ITEM", "1", "31000.00"), purchased_at=past), number="P-1", now=past)
    tier_override_set(customer=customer, tier=gold, until=timezone.now() + timedelta(days=10), reason="Test", staff=None)
    return customer


def test_office_tier_card_never_counts_towards_the_earned_tier(merchant, overridden_down):
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=Role.OWNER).user)
    text = text_of(client.get(f"/office/customers/{overridden_down.pk}/"))
    assert "Earned tier: Platinum" in text
    assert "more to Platinum" not in text


def test_api_progress_skips_the_earned_tier(merchant, overridden_down):
    body = api_client_for(merchant).get(f"/api/v1/customers/{overridden_down.pk}").json()
    assert body["tier"]["code"] == "gold"
    assert body["tier_progress"]["next"] is None


def test_override_up_counts_from_the_tier_in_effect(merchant):
    gold = tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000.00"}})
    tier_create(merchant=merchant, data={"code": "platinum", "name": "Platinum", "rank": 3, "entry": {"total_spend": "30000.00"}})
    customer = customer_create(merchant)
    tier_override_set(customer=customer, tier=gold, until=timezone.now() + timedelta(days=10), reason="VIP guest", staff=None)
    body = api_client_for(merchant).get(f"/api/v1/customers/{customer.pk}").json()
    assert body["tier_progress"]["next"]["code"] == "platinum"
