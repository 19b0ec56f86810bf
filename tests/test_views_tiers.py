"""Tier screens: the tiers editor (preview, reorder, delete), the dashboard chart, the customer page
(tier, history, override), the counter badge and the portal (progress, ladder, messages), per role."""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from loyalty.models import CustomerMessage, PointsAccount, Tier, TierChange
from loyalty.services import receipt_commit
from loyalty.services.tiers import tier_create, tier_override_set
from tests.factories import MerchantFactory, customer_create, draft

pytestmark = pytest.mark.django_db


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def buy(merchant, customer, amount, number):
    return receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                          draft=draft(("ITEM", "1", amount)), number=number)


@pytest.fixture
def gold(merchant):
    return tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "accrual_percent": "7.00",
                                                "discount_percent": "3.00", "entry": {"total_spend": "10000.00"}})


@pytest.fixture
def platinum(merchant, gold):
    return tier_create(merchant=merchant, data={"code": "platinum", "name": "Platinum", "rank": 3, "accrual_percent": "10.00",
                                                "entry": {"total_spend": "30000.00"}})


@pytest.fixture
def customers(merchant, platinum):
    """Three members, one gold (12,000 spent) and one platinum (31,000 spent)."""
    base, golden, plat = customer_create(merchant, name="Base"), customer_create(merchant, name="Golden"), customer_create(merchant, name="Plat")
    buy(merchant, golden, "12000.00", "G-1")
    buy(merchant, plat, "31000.00", "P-1")
    return base, golden, plat


def tier_post(**fields):
    data = {"name": "Silver", "code": "silver", "rank": "5", "accrual_percent": "", "max_redeem_percent": "", "discount_percent": "",
            "entry_total_spend": "", "entry_purchases": "", "entry_single_receipt": "", "entry_referrals": "", "window_days": "",
            "keep_total_spend": "", "keep_purchases": "", "keep_single_receipt": "", "keep_referrals": ""}
    data.update(fields)
    return data


# ---------- roles and tenancy ----------

TIER_PAGES = ["/office/tiers/", "/office/tiers/new/", "/office/tiers/gold/edit/", "/office/tiers/gold/delete/"]


@pytest.mark.parametrize("url", TIER_PAGES)
def test_tier_pages_render_for_owner_and_marketer(owner, marketer, gold, url):
    assert client_for(owner).get(url).status_code == 200
    assert client_for(marketer).get(url).status_code == 200


@pytest.mark.parametrize("url", TIER_PAGES)
def test_tier_pages_forbidden_to_cashier(cashier, gold, url):
    assert client_for(cashier).get(url).status_code == 403
    assert client_for(cashier).post(url, tier_post()).status_code == 403


def test_tier_actions_forbidden_to_cashier(cashier, gold, merchant):
    client = client_for(cashier)
    assert client.post("/office/tiers/gold/move/", {"direction": "down"}).status_code == 403
    assert client.post("/office/tiers/gold/delete/").status_code == 403
    assert Tier.objects.filter(merchant=merchant, code="gold", rank=2).exists()


def test_another_merchants_tier_is_404(owner, gold):
    other = MerchantFactory()
    tier_create(merchant=other, data={"code": "vip", "name": "VIP", "rank": 2, "entry": {"purchases": 3}})
    client = client_for(owner)
    assert client.get("/office/tiers/vip/edit/").status_code == 404
    assert client.post("/office/tiers/vip/delete/").status_code == 404
    assert client.post("/office/tiers/vip/move/", {"direction": "up"}).status_code == 404
    assert Tier.objects.filter(merchant=other, code="vip").exists()


def test_another_merchants_customer_is_404_for_override(owner, gold):
    stranger = customer_create(MerchantFactory())
    client = client_for(owner)
    url = f"/office/customers/{stranger.pk}/tier/"
    assert client.post(url, {"tier": "gold", "until": "2099-01-01", "reason": "x"}).status_code == 404
    assert client.post(f"{url}end/", {"end_reason": "x"}).status_code == 404


def test_nav_has_tiers(owner):
    assert 'href="/office/tiers/"' in client_for(owner).get("/office/").content.decode()


# ---------- list ----------

def test_list_shows_tiers_with_what_they_give_and_counts(owner, customers):
    text = text_of(client_for(owner).get("/office/tiers/"))
    assert text.index("Platinum") < text.index("Gold") < text.index("Member")  # top tier first
    assert "7 % points · 3 % off" in text.replace("\u00a0", " ")
    assert "spend ₽10,000.00" in text
    assert "kept once reached" in text
    assert "Start tier" in text


# ---------- create and edit ----------

def test_create_tier(marketer, merchant, customers):
    response = client_for(marketer).post("/office/tiers/new/", tier_post(entry_purchases="1", accrual_percent="6,5"))
    assert response.status_code == 302
    silver = Tier.objects.get(merchant=merchant, code="silver")
    assert silver.entry == {"purchases": 1}
    assert str(silver.accrual_percent) == "6.50"
    assert AuditEvent.objects.filter(merchant=merchant, action="tier.created", target="silver").exists()


@pytest.mark.parametrize("fields, field, message", [
    ({"entry_total_spend": "-5"}, "entry_total_spend", "non-negative"),
    ({"entry_total_spend": "lots"}, "entry_total_spend", "amount"),
    ({"window_days": "0"}, "window_days", "1 or more"),
    ({"rank": "2"}, "rank", "Another tier has this rank"),
    ({"code": "gold"}, "code", "already exists"),
    ({"discount_percent": "120"}, "discount_percent", "0 to 100"),
    ({"entry_purchases": "two"}, "entry_purchases", "whole number"),
])
def test_bad_input_is_shown_beside_the_field_and_nothing_is_written(owner, merchant, gold, fields, field, message):
    before = list(Tier.objects.filter(merchant=merchant).values_list("code", "rank", "entry"))
    response = client_for(owner).post("/office/tiers/new/", tier_post(**fields))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert f'id="id_{field}_error_1"' in response.content.decode()
    assert list(Tier.objects.filter(merchant=merchant).values_list("code", "rank", "entry")) == before


def test_edit_bad_input_writes_nothing(owner, merchant, gold):
    response = client_for(owner).post("/office/tiers/gold/edit/", tier_post(code="gold", name="Gold", rank="2", entry_total_spend="-1"))
    assert response.status_code == 400
    assert "entry_total_spend" in response.context["form"].errors
    assert Tier.objects.get(pk=gold.pk).entry == {"total_spend": "10000.00"}


def test_edit_saves(owner, merchant, gold):
    response = client_for(owner).post("/office/tiers/gold/edit/", tier_post(code="gold", name="Golden", rank="2", entry_total_spend="8 000",
                                                                           keep_purchases="2", window_days="365"))
    assert response.status_code == 302
    gold.refresh_from_db()
    assert (gold.name, gold.entry, gold.keep, gold.window_days) == ("Golden", {"total_spend": "8000.00"}, {"purchases": 2}, 365)


def test_taking_entry_from_the_only_start_tier_is_an_error_on_the_entry_group(owner, merchant, gold):
    response = client_for(owner).post("/office/tiers/base/edit/", tier_post(code="base", name="Member", rank="1", entry_purchases="1"))
    assert response.status_code == 400
    assert response.context["form"].group_errors["entry"]
    assert "only tier without entry conditions" in response.content.decode()
    assert Tier.objects.get(merchant=merchant, code="base").entry == {}


# ---------- preview ----------

def test_preview_button_counts_customers_with_the_typed_thresholds(owner, merchant, customers):
    # Gold from 5,000: the gold customer stays, nobody else moves; from 1,000,000 nobody is platinum.
    response = client_for(owner).post("/office/tiers/platinum/edit/", tier_post(
        code="platinum", name="Platinum", rank="3", entry_total_spend="1000000", action="preview"))
    assert response.status_code == 200
    rows = {row["code"]: (row["would_have"], row["has_now"]) for row in response.context["preview"]}
    assert rows == {"base": (1, 1), "gold": (2, 1), "platinum": (0, 1)}
    text = text_of(response)
    assert "With these thresholds: 1 Member, 2 Gold, 0 Platinum (now 1 / 1 / 1)" in text
    assert Tier.objects.get(merchant=merchant, code="platinum").entry == {"total_spend": "30000.00"}  # nothing written


def test_htmx_preview_of_a_new_tier_renders_the_partial(owner, merchant, customers):
    response = client_for(owner).post("/office/tiers/new/", tier_post(entry_total_spend="11000", rank="5"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<div id=\"tier-preview\"")
    rows = {row["code"]: row["would_have"] for row in response.context["preview"]}
    assert rows == {"base": 1, "gold": 0, "platinum": 0, "silver": 2}  # silver (rank 5) outranks all
    assert not Tier.objects.filter(merchant=merchant, code="silver").exists()


def test_htmx_preview_with_bad_input_names_the_problem(owner, merchant, gold):
    response = client_for(owner).post("/office/tiers/new/", tier_post(entry_total_spend="-3"), HTTP_HX_REQUEST="true")
    assert "The preview needs valid values" in response.content.decode()
    assert response.context["preview"] is None


# ---------- reorder ----------

def test_move_swaps_ranks_and_is_audited(owner, merchant, platinum):
    response = client_for(owner).post("/office/tiers/gold/move/", {"direction": "up"})
    assert response.status_code == 302
    ranks = dict(Tier.objects.filter(merchant=merchant).values_list("code", "rank"))
    assert ranks == {"base": 1, "gold": 3, "platinum": 2}
    assert AuditEvent.objects.filter(merchant=merchant, action="tier.moved", target="gold").exists()
    client_for(owner).post("/office/tiers/gold/move/", {"direction": "up"})  # already at the top: nothing changes
    assert dict(Tier.objects.filter(merchant=merchant).values_list("code", "rank"))["gold"] == 3


# ---------- delete ----------

def test_delete_confirmation_says_how_many_customers_move(owner, customers):
    response = client_for(owner).get("/office/tiers/gold/delete/")
    assert "1 customer is in Gold; they will move to the tier they now qualify for." in text_of(response)


def test_delete_moves_customers_to_the_tier_they_qualify_for(owner, merchant, customers):
    _base, golden, _plat = customers
    response = client_for(owner).post("/office/tiers/gold/delete/", follow=True)
    assert not Tier.objects.filter(merchant=merchant, code="gold").exists()
    assert PointsAccount.objects.get(customer=golden).tier.code == "base"
    assert TierChange.objects.filter(customer=golden, reason="tier_deleted", to_name="Member").exists()
    assert "1 customer moved" in text_of(response)


def test_the_last_start_tier_cannot_be_deleted(owner, merchant, gold):
    client = client_for(owner)
    page = client.get("/office/tiers/base/delete/")
    assert "last tier without entry conditions" in page.content.decode()
    assert "confirm-delete" not in page.content.decode()
    response = client.post("/office/tiers/base/delete/", follow=True)
    assert Tier.objects.filter(merchant=merchant, code="base").exists()
    assert "last tier without entry conditions" in response.content.decode()


# ---------- dashboard ----------

def test_dashboard_shows_the_tier_distribution(owner, merchant, customers):
    response = client_for(owner).get("/office/")
    rows = {(row["tier"].code if row["tier"] else None): row["count"] for row in response.context["tiers"]}
    assert rows == {"base": 1, "gold": 1, "platinum": 1}
    assert 'data-tier-count="1" data-tier-name="Gold"' in response.content.decode()
    assert 'id="tier-chart"' in response.content.decode()


def test_tier_distribution_counts_overrides_as_their_tier(merchant, customers, gold):
    from loyalty.selectors import tier_distribution

    base, _golden, _plat = customers
    tier_override_set(customer=base, tier=gold, until=timezone.now() + timedelta(days=5), reason="VIP", staff=None)
    counts = {row["tier"].code: row["count"] for row in tier_distribution(merchant=merchant)}
    assert counts == {"base": 0, "gold": 2, "platinum": 1}


# ---------- customer page ----------

def test_customer_page_shows_tier_progress_and_history(owner, customers):
    _base, golden, _plat = customers
    text = text_of(client_for(owner).get(f"/office/customers/{golden.pk}/"))
    assert "Tier history" in text
    assert "Member → Gold" in text
    assert "Reached the entry conditions" in text
    assert "₽18,000.00 more to Platinum" in text


def test_override_form_sets_the_tier_with_an_audit_event(owner, merchant, customers, platinum):
    base, _golden, _plat = customers
    client = client_for(owner)
    response = client.post(f"/office/customers/{base.pk}/tier/", {"tier": "platinum", "until": (timezone.now() + timedelta(days=10)).date().isoformat(),
                                                                  "reason": "Complaint settled"})
    assert response.status_code == 302
    account = PointsAccount.objects.get(customer=base)
    assert account.override_tier == platinum
    event = AuditEvent.objects.get(merchant=merchant, action="tier.override")
    assert event.reason == "Complaint settled"
    text = text_of(client.get(f"/office/customers/{base.pk}/"))
    assert "Set by hand until" in text and "Complaint settled" in text
    # Ending it early needs a reason, then clears the override.
    assert client.post(f"/office/customers/{base.pk}/tier/end/", {"end_reason": ""}).status_code == 400
    assert PointsAccount.objects.get(customer=base).override_tier == platinum
    assert client.post(f"/office/customers/{base.pk}/tier/end/", {"end_reason": "Mistake"}).status_code == 302
    assert PointsAccount.objects.get(customer=base).override_tier is None
    assert AuditEvent.objects.filter(merchant=merchant, action="tier.override").count() == 2


def test_override_bad_input_is_shown_and_nothing_written(owner, merchant, customers):
    base, _golden, _plat = customers
    response = client_for(owner).post(f"/office/customers/{base.pk}/tier/", {"tier": "gold", "until": "2001-01-01", "reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["override_form"].errors
    response = client_for(owner).post(f"/office/customers/{base.pk}/tier/", {"tier": "gold", "until": "2001-01-01", "reason": "x"})
    assert response.status_code == 400
    assert "until" in response.context["override_form"].errors
    assert PointsAccount.objects.get(customer=base).override_tier is None
    assert not AuditEvent.objects.filter(merchant=merchant, action="tier.override").exists()


def test_cashier_cannot_override(cashier, customers):
    base, _golden, _plat = customers
    assert client_for(cashier).post(f"/office/customers/{base.pk}/tier/", {"tier": "gold", "until": "2099-01-01", "reason": "x"}).status_code == 403


# ---------- counter ----------

def test_counter_shows_the_tier_badge_and_what_it_gives(cashier, customers):
    _base, golden, _plat = customers
    response = client_for(cashier).get(f"/counter/customers/{golden.pk}/")
    text = text_of(response).replace("\u00a0", " ")
    assert 'data-testid="tier-badge">Gold<' in response.content.decode()
    assert "7 % points · 3 % off" in text


# ---------- portal ----------

def portal_client(merchant, customer) -> Client:
    client = Client()
    session = client.session
    session["portal"] = {merchant.slug: str(customer.pk)}
    session.save()
    return client


def test_portal_shows_tier_progress_ladder_and_messages(merchant, customers):
    _base, golden, _plat = customers
    text = text_of(portal_client(merchant, golden).get(f"/my/{merchant.slug}/"))
    assert "₽18,000.00 more to Platinum" in text
    assert "What each tier gives" in text
    assert "Welcome to Gold!" in text


def test_portal_top_tier_says_so(merchant, customers):
    _base, _golden, plat = customers
    assert "You are in the top tier" in text_of(portal_client(merchant, plat).get(f"/my/{merchant.slug}/"))


def test_portal_counts_purchases_and_friends_in_words(merchant):
    tier_create(merchant=merchant, data={"code": "regular", "name": "Regular", "rank": 2, "entry": {"purchases": 3}})
    customer = customer_create(merchant)
    buy(merchant, customer, "100.00", "A-1")
    assert "2 more purchases to Regular" in text_of(portal_client(merchant, customer).get(f"/my/{merchant.slug}/"))
    buy(merchant, customer, "100.00", "A-2")
    assert "1 more purchase to Regular" in text_of(portal_client(merchant, customer).get(f"/my/{merchant.slug}/"))


def test_portal_progress_in_russian_plurals(merchant):
    tier_create(merchant=merchant, data={"code": "friends", "name": "Друг", "rank": 2, "entry": {"purchases": 6}})
    customer = customer_create(merchant)
    buy(merchant, customer, "100.00", "A-1")
    client = portal_client(merchant, customer)
    client.cookies["django_language"] = "ru"
    assert "Ещё 5 покупок до уровня Друг" in text_of(client.get(f"/my/{merchant.slug}/"))


def test_portal_message_dismiss_marks_read_and_only_own(merchant, customers):
    _base, golden, plat = customers
    message = CustomerMessage.objects.get(customer=golden, title="Welcome to Gold!")
    other = CustomerMessage.objects.filter(customer=plat).first()
    client = portal_client(merchant, golden)
    assert client.post(f"/my/{merchant.slug}/messages/{other.pk}/read/").status_code == 302
    other.refresh_from_db()
    assert other.read_at is None
    assert client.post(f"/my/{merchant.slug}/messages/{message.pk}/read/").status_code == 302
    message.refresh_from_db()
    assert message.read_at is not None
    assert "Welcome to Gold!" not in text_of(client.get(f"/my/{merchant.slug}/"))
    assert client.post(f"/my/{merchant.slug}/messages/{message.pk}/read/", HTTP_HX_REQUEST="true").content == b""
