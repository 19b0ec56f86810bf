"""The audit log reads as sentences, filters by what, who and when, and pages; bad dates are bad input."""
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, Membership, Role
from accounts.services import customer_edit, staff_add, staff_role_set
from loyalty.services import points_adjust, program_update
from loyalty.services.tiers import tier_create, tier_update
from tests.factories import MembershipFactory, MerchantFactory, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_member(merchant):
    return MembershipFactory(merchant=merchant, role=Role.OWNER, user__full_name="Olga Owner")


@pytest.fixture
def client(owner_member):
    client = Client()
    client.force_login(owner_member.user)
    return client


def text_of(response) -> str:
    """The text of the log's table (not the filter lists)."""
    body = response.content.decode()
    table = body[body.index("<table"):] if "<table" in body else ""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table))


def test_role_change_reads_as_a_sentence(merchant, owner_member, client):
    membership = staff_add(merchant=merchant, email="kate@shop.test", role=Role.CASHIER, actor=owner_member.user)
    staff_role_set(membership=membership, role=Role.MARKETER, actor=owner_member.user)
    text = text_of(client.get("/office/audit/"))
    assert "Role of kate@shop.test changed from Cashier to Marketer" in text
    assert "{" not in text


def test_adjustment_names_the_customer_and_the_reason(merchant, owner_member, client):
    anna = customer_create(merchant, phone="+79991234567", name="Anna")
    points_adjust(customer=anna, points=50, reason="Broken bag", staff=owner_member.user)
    response = client.get("/office/audit/")
    text = text_of(response)
    assert "Adjustment +50 points for Anna (+7 999 123-45-67): Broken bag" in text
    assert f'href="/office/customers/{anna.pk}/"' in response.content.decode()


def test_program_and_profile_changes_show_before_and_after(merchant, owner_member, client):
    program_update(merchant=merchant, changes={"accrual_percent": "7.00", "points_ttl_days": 180, "welcome_bonus": 300},
                   actor=owner_member.user)
    anna = customer_create(merchant, phone="+79991234567", name="Anna")
    customer_edit(customer=anna, actor=owner_member.user, data={"phone": "+79997654321", "consent_sms": True})
    text = text_of(client.get("/office/audit/"))
    assert "Program settings: accrual from 5 % to 7 %; points lifetime from 365 days to 180 days" in text.replace("\u00a0", " ")
    assert "Profile of Anna (+7 999 765-43-21): phone from +7 999 123-45-67 to +7 999 765-43-21; offers by SMS from off to on" in text


def test_tier_change_shows_conditions_in_words(merchant, owner_member, client):
    gold = tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "10000.00"}},
                       actor=owner_member.user)
    tier_update(tier=gold, data={"entry": {"total_spend": "20000.00"}}, actor=owner_member.user)
    text = text_of(client.get("/office/audit/")).replace("\u00a0", " ")
    assert "Tier Gold: entry conditions from spend ₽10,000.00 to spend ₽20,000.00" in text
    assert "Tier Gold (gold) created at rank 2" in text


def test_audit_log_in_russian(merchant, owner_member, client):
    membership = staff_add(merchant=merchant, email="kate@shop.test", role=Role.CASHIER, actor=owner_member.user)
    staff_role_set(membership=membership, role=Role.MARKETER, actor=owner_member.user)
    client.cookies["django_language"] = "ru"
    text = text_of(client.get("/office/audit/"))
    assert "Роль kate@shop.test изменена: Кассир → Маркетолог" in text


def test_filters_by_action_and_staff_member(merchant, owner_member, client):
    other = MembershipFactory(merchant=merchant, role=Role.MARKETER)
    anna = customer_create(merchant, name="Anna")
    points_adjust(customer=anna, points=10, reason="By owner", staff=owner_member.user)
    points_adjust(customer=anna, points=20, reason="By marketer", staff=other.user)
    program_update(merchant=merchant, changes={"accrual_percent": "6.00"}, actor=other.user)

    by_action = text_of(client.get("/office/audit/", {"action": "points.adjusted"}))
    assert "By owner" in by_action and "By marketer" in by_action and "Program settings" not in by_action

    by_actor = text_of(client.get("/office/audit/", {"actor": str(other.user_id)}))
    assert "By marketer" in by_actor and "Program settings" in by_actor and "By owner" not in by_actor

    system = text_of(client.get("/office/audit/", {"actor": "system"}))
    assert "By owner" not in system and "By marketer" not in system


def test_filters_by_date_range_in_the_merchant_timezone(merchant, owner_member, client):
    old = AuditEvent.objects.create(merchant=merchant, actor=owner_member.user, action="store.created", target="old",
                                    data={"name": "Old store"}, at=timezone.now() - timedelta(days=30))
    AuditEvent.objects.create(merchant=merchant, actor=owner_member.user, action="store.created", target="new", data={"name": "New store"})
    day = timezone.localtime(old.at, timezone=__import__("zoneinfo").ZoneInfo(merchant.timezone)).date()
    text = text_of(client.get("/office/audit/", {"date_from": day.isoformat(), "date_to": day.isoformat()}))
    assert "Old store" in text and "New store" not in text


@pytest.mark.parametrize("params", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}, {"date_from": "2026-13-45"},
                                    {"date_from": "2026-05-02", "date_to": "2026-05-01"}, {"actor": "999999"}, {"action": "nope"}])
def test_bad_filters_are_bad_input_not_500(client, params):
    response = client.get("/office/audit/", params)
    assert response.status_code == 400
    assert response.context["form"].errors


def test_pages_of_fifty_keep_the_filters(merchant, owner_member, client):
    AuditEvent.objects.bulk_create([
        AuditEvent(merchant=merchant, actor=owner_member.user, action="store.created", target=f"s{i}", data={"name": f"Store {i}"},
                   at=timezone.now() - timedelta(minutes=i)) for i in range(60)
    ])
    first = client.get("/office/audit/", {"action": "store.created"})
    assert len(first.context["lines"]) == 50
    body = first.content.decode()
    link = re.search(r'href="\?([^"]*after=[^"]*)"', body).group(1).replace("&amp;", "&")
    assert "action=store.created" in link
    second = client.get("/office/audit/?" + link)
    assert len(second.context["lines"]) == 10


def test_other_merchants_events_are_not_shown(merchant, client):
    other = MerchantFactory()
    AuditEvent.objects.create(merchant=other, action="store.created", target="theirs", data={"name": "Their store"})
    assert "Their store" not in text_of(client.get("/office/audit/"))
    assert "Their store" not in text_of(client.get("/office/audit/", {"action": "store.created"}))
