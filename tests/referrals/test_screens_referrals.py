"""Referrals on the screens: the portal's join page through a friend's code or an invite link, the portal's
"Invite friends" section, and the referral code field at the counter."""
import re

import pytest

from accounts import sms
from accounts.models import Customer
from loyalty.models import Entry
from referrals.models import InviteLink, InviteSignup
from referrals.services.referrals import referral_settings_update
from tests.factories import MembershipFactory, customer_create, program_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def alexander(merchant):
    program_set(merchant, welcome_bonus=300)
    referral_settings_update(merchant=merchant, clean={"referee_welcome_bonus": 500, "referrer_bonus": 50, "referee_extra_percent": "2.00",
                                                       "referee_extra_purchases": 3, "referrer_percent": "1.00"})
    return customer_create(merchant, phone="+79161230045", name="Alexander")


def join_through(client, merchant, query, phone="8 912 000 11 22"):
    sms.outbox.clear()
    response = client.post(f"/my/{merchant.slug}/join/{query}", {"name": "Artem", "phone": phone, "email": "artem@example.test",
                                                                  "terms": "on"})
    assert response.status_code == 302, response.content.decode()[:500]
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1]["text"]).group(1)
    client.post(f"/my/{merchant.slug}/login/code/", {"code": code})
    return Customer.objects.get(merchant=merchant, phone="+79120001122")


def test_join_page_through_a_code_shows_what_the_friend_gets(client, merchant, alexander, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    page = client.get(f"/my/{merchant.slug}/join/?ref={alexander.referral_code}").content.decode()

    assert "Alexander ••45 invited you" in page
    assert "500 points on joining" in page and "instead of 300" in page
    assert "+2% extra points on your first 3 purchases" in page
    assert f'name="ref" value="{alexander.referral_code}"' in page
    assert "+7916" not in page


def test_joining_through_the_code_rewards_both(client, merchant, alexander, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"

    artem = join_through(client, merchant, f"?ref={alexander.referral_code}")

    assert artem.referred_by == alexander
    assert Entry.objects.get(customer=artem, kind="welcome").points == 500
    assert Entry.objects.get(customer=alexander, kind="referral").points == 50


def test_joining_through_an_invite_link(client, merchant, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    InviteLink.objects.create(merchant=merchant, code="fitmaster", name="FitMaster table tent", welcome_bonus=1000,
                              gifts=[{"name": "3 free sessions", "sku": "SESSION", "quantity": "3"}])
    page = client.get(f"/my/{merchant.slug}/join/?invite=fitmaster").content.decode()
    assert "1000 points on joining" in page and "3 free sessions" in page

    customer = join_through(client, merchant, "?invite=fitmaster")

    assert InviteSignup.objects.get(customer=customer).link.code == "fitmaster"
    assert Entry.objects.get(customer=customer, kind="welcome").points == 1000


def test_join_page_with_unknown_code_says_so_and_joins_plainly(client, merchant, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    program_set(merchant, welcome_bonus=300)
    assert "not valid any more" in client.get(f"/my/{merchant.slug}/join/?ref=000000").content.decode()

    customer = join_through(client, merchant, "?invite=nowhere")

    assert Entry.objects.get(customer=customer, kind="welcome").points == 300


def test_portal_invite_friends_section(client, merchant, alexander):
    customer_create(merchant, phone="+79161230067", name="Artem", referral_code=alexander.referral_code)
    session = client.session
    session["portal"] = {merchant.slug: str(alexander.pk)}
    session.save()

    page = client.get(f"/my/{merchant.slug}/").content.decode()

    assert 'data-testid="portal-invite"' in page
    assert alexander.referral_code in page and f"join/?ref={alexander.referral_code}" in page
    assert "1 friend joined" in page and "50 points earned" in page
    assert "referrals/invite.js" in page and "<svg" in page


def test_counter_registers_with_a_friends_code(client, merchant, alexander):
    cashier = MembershipFactory(merchant=merchant, role="cashier")
    client.force_login(cashier.user)

    response = client.post("/counter/join/", {"phone": "+79120001122", "name": "Artem", "referral_code": alexander.referral_code,
                                              "idempotency_key": "k-1"})

    assert response.status_code == 302
    artem = Customer.objects.get(merchant=merchant, phone="+79120001122")
    assert artem.referred_by == alexander
    assert Entry.objects.get(customer=artem, kind="welcome").points == 500


def test_counter_unknown_code_is_shown_and_writes_nothing(client, merchant, alexander):
    cashier = MembershipFactory(merchant=merchant, role="cashier")
    client.force_login(cashier.user)

    response = client.post("/counter/join/", {"phone": "+79120001122", "name": "Artem", "referral_code": "999999", "idempotency_key": "k-2"})

    assert response.status_code == 422
    assert "No customer has the referral code 999999" in response.content.decode()
    assert 'value="999999"' in response.content.decode()
    assert not Customer.objects.filter(phone="+79120001122").exists()
