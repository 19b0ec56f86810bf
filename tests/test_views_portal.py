"""The customer portal: join, one-time codes (expiry, tries, throttling), home, profile, isolation."""
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import sms
from accounts.models import Customer, LoginCode
from loyalty.models import Entry
from tests.factories import MerchantFactory, customer_create

EMAIL = "anna@example.test"


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone="+79991234567", name="Anna", email=EMAIL)


def code_from(message) -> str:
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def request_code(client, merchant, identifier=EMAIL, ip="10.0.0.1"):
    return client.post(f"/my/{merchant.slug}/login/", {"identifier": identifier}, REMOTE_ADDR=ip)


def sign_in(client, merchant, identifier=EMAIL):
    request_code(client, merchant, identifier)
    response = client.post(f"/my/{merchant.slug}/login/code/", {"code": code_from(mail.outbox[-1])})
    assert response.status_code == 302
    return response


# --- pages and access --------------------------------------------------------------------------

@pytest.mark.django_db
def test_portal_unknown_merchant_is_404(client):
    assert client.get("/my/nope/").status_code == 404
    assert client.get("/my/nope/login/").status_code == 404


@pytest.mark.django_db
def test_portal_member_pages_need_sign_in(client, merchant):
    for url in [f"/my/{merchant.slug}/", f"/my/{merchant.slug}/profile/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/my/{merchant.slug}/login/"
    assert client.get(f"/my/{merchant.slug}/login/").status_code == 200
    assert client.get(f"/my/{merchant.slug}/join/").status_code == 200
    # The code page without a pending request goes back to the login page.
    assert client.get(f"/my/{merchant.slug}/login/code/")["Location"] == f"/my/{merchant.slug}/login/"


@pytest.mark.django_db
def test_portal_sign_in_with_emailed_code_shows_home(client, merchant, customer):
    response = request_code(client, merchant)
    assert response["Location"] == f"/my/{merchant.slug}/login/code/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [EMAIL]
    code = code_from(mail.outbox[0])
    # Only a hash is stored.
    assert code not in LoginCode.objects.get().code_hash
    response = client.post(f"/my/{merchant.slug}/login/code/", {"code": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == f"/my/{merchant.slug}/"
    home = client.get(f"/my/{merchant.slug}/")
    assert home.status_code == 200
    assert home.context["balance"].available == 300
    assert home.context["expiring"][0]["points"] == 300
    body = home.content.decode()
    assert customer.card_number in home.context["card_number"]
    assert "<svg" in body
    assert "Welcome bonus for joining" in body
    assert "300 points expire on" in body


@pytest.mark.django_db
def test_portal_sign_in_by_phone_in_any_format(client, merchant, customer):
    sign_in(client, merchant, identifier="8 (999) 123-45-67")
    assert client.get(f"/my/{merchant.slug}/").status_code == 200


@pytest.mark.django_db
def test_portal_unknown_identifier_same_answer_no_mail(client, merchant, customer):
    response = request_code(client, merchant, identifier="nobody@example.test")
    assert response["Location"] == f"/my/{merchant.slug}/login/code/"
    assert mail.outbox == []
    response = client.post(f"/my/{merchant.slug}/login/code/", {"code": "123456"})
    assert response.status_code == 422
    assert client.get(f"/my/{merchant.slug}/").status_code == 302


@pytest.mark.django_db
def test_portal_code_expires_after_ten_minutes(client, merchant, customer):
    request_code(client, merchant)
    code = code_from(mail.outbox[-1])
    row = LoginCode.objects.get()
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(f"/my/{merchant.slug}/login/code/", {"code": code})
    assert response.status_code == 422
    assert "expired" in response.content.decode()
    assert client.get(f"/my/{merchant.slug}/").status_code == 302


@pytest.mark.django_db
def test_portal_code_allows_five_tries(client, merchant, customer):
    request_code(client, merchant)
    code = code_from(mail.outbox[-1])
    wrong = "000000" if code != "000000" else "111111"
    for left in [4, 3, 2, 1]:
        response = client.post(f"/my/{merchant.slug}/login/code/", {"code": wrong})
        assert f"{left} tr" in response.content.decode()
    response = client.post(f"/my/{merchant.slug}/login/code/", {"code": wrong})
    assert "Too many wrong codes" in response.content.decode()
    # The right code no longer works either.
    response = client.post(f"/my/{merchant.slug}/login/code/", {"code": code})
    assert response.status_code == 422
    assert LoginCode.objects.get().attempts == 5
    assert client.get(f"/my/{merchant.slug}/").status_code == 302


@pytest.mark.django_db
def test_portal_new_code_retires_the_old_one(client, merchant, customer):
    request_code(client, merchant)
    old = code_from(mail.outbox[-1])
    request_code(client, merchant)
    new = code_from(mail.outbox[-1])
    if old != new:
        assert client.post(f"/my/{merchant.slug}/login/code/", {"code": old}).status_code == 422
    assert client.post(f"/my/{merchant.slug}/login/code/", {"code": new}).status_code == 302


@pytest.mark.django_db
def test_portal_code_requests_throttled_per_customer(client, merchant, customer):
    for _ in range(3):
        request_code(client, merchant)
    response = request_code(client, merchant, ip="10.0.0.2")
    assert response.status_code == 422
    assert "Too many codes" in response.content.decode()
    assert len(mail.outbox) == 3
    # Ten minutes later the customer may ask again.
    LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert request_code(client, merchant).status_code == 302
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_portal_code_requests_throttled_per_ip(client, merchant, settings):
    settings.PORTAL_CODES_PER_IP = 3
    people = [customer_create(merchant, email=f"p{i}@example.test") for i in range(4)]
    for person in people[:3]:
        assert request_code(client, merchant, identifier=person.email, ip="10.9.9.9").status_code == 302
    response = request_code(client, merchant, identifier=people[3].email, ip="10.9.9.9")
    assert response.status_code == 422
    assert len(mail.outbox) == 3
    assert request_code(client, merchant, identifier=people[3].email, ip="10.9.9.10").status_code == 302


@pytest.mark.django_db
def test_portal_code_also_by_sms_when_configured(client, merchant, customer, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    request_code(client, merchant)
    assert sms.outbox[-1]["phone"] == "+79991234567"
    assert code_from(mail.outbox[-1]) in sms.outbox[-1]["text"]


# --- join --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_portal_join_creates_member_after_the_sms_code(client, merchant, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    response = client.post(f"/my/{merchant.slug}/join/", {
        "name": "Boris", "phone": "8 912 000 11 22", "email": "Boris@Example.test", "consent_email": "on", "terms": "on",
    })
    assert response["Location"] == f"/my/{merchant.slug}/login/code/"
    assert not Customer.objects.filter(merchant=merchant).exists()
    assert sms.outbox[-1]["phone"] == "+79120001122"
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1]["text"]).group(1)
    client.post(f"/my/{merchant.slug}/login/code/", {"code": code})
    customer = Customer.objects.get(merchant=merchant)
    assert (customer.phone, customer.email, customer.consent_email, customer.consent_sms) == ("+79120001122", "boris@example.test", True, False)
    assert Entry.objects.get(customer=customer).points == 300
    assert client.get(f"/my/{merchant.slug}/").context["customer"] == customer


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data, field",
    [
        ({"phone": "8 912 000 11 22", "email": "b@example.test"}, "terms"),
        ({"phone": "12", "email": "b@example.test", "terms": "on"}, "phone"),
        ({"phone": "8 912 000 11 22", "email": "not-an-email", "terms": "on"}, "email"),
    ],
)
def test_portal_join_bad_input_rerendered_nothing_written(client, merchant, customer, data, field, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    response = client.post(f"/my/{merchant.slug}/join/", data)
    assert response.status_code == 422
    assert response.context["form"].errors.get(field)
    assert Customer.objects.filter(merchant=merchant).count() == 1
    assert not LoginCode.objects.exists()
    assert mail.outbox == [] and sms.outbox == []


# --- profile and sign out ----------------------------------------------------------------------

@pytest.mark.django_db
def test_portal_profile_saves_consents_and_birthday_once(client, merchant, customer):
    sign_in(client, merchant)
    url = f"/my/{merchant.slug}/profile/"
    response = client.post(url, {"name": "Anna K", "email": EMAIL, "birthday": "1990-05-01", "consent_sms": "on", "language": "ru"})
    assert response["Location"] == f"{url}?saved=1"
    assert response.cookies["django_language"].value == "ru"
    customer.refresh_from_db()
    assert (customer.name, customer.birthday, customer.consent_email, customer.consent_sms, customer.consent_push, customer.language) == (
        "Anna K", date(1990, 5, 1), False, True, False, "ru")
    # The birthday field is now locked: a changed date is ignored by the disabled field.
    client.post(url, {"name": "Anna K", "email": EMAIL, "birthday": "2000-01-01", "language": ""})
    customer.refresh_from_db()
    assert customer.birthday == date(1990, 5, 1)


@pytest.mark.django_db
def test_portal_profile_bad_input_rerendered_nothing_written(client, merchant, customer):
    customer_create(merchant, email="taken@example.test")
    sign_in(client, merchant)
    url = f"/my/{merchant.slug}/profile/"
    for data, field in [({"email": "taken@example.test"}, "email"), ({"email": ""}, "email"), ({"email": EMAIL, "birthday": "yesterday"}, "birthday")]:
        response = client.post(url, {"name": "Changed", **data})
        assert response.status_code == 422
        assert response.context["form"].errors.get(field)
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.birthday) == ("Anna", EMAIL, None)


@pytest.mark.django_db
def test_portal_sign_out(client, merchant, customer):
    sign_in(client, merchant)
    assert client.get(f"/my/{merchant.slug}/logout/").status_code == 405
    response = client.post(f"/my/{merchant.slug}/logout/")
    assert response["Location"] == f"/my/{merchant.slug}/login/"
    assert client.get(f"/my/{merchant.slug}/").status_code == 302


# --- isolation ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_portal_customer_sees_only_their_own_account(client, merchant, customer):
    other_here = customer_create(merchant, email="other@example.test")
    other_merchant = MerchantFactory()
    namesake = customer_create(other_merchant, phone="+79991234567", email=EMAIL)
    sign_in(client, merchant)
    home = client.get(f"/my/{merchant.slug}/")
    assert home.context["customer"] == customer
    assert other_here.card_number not in home.content.decode()
    # Signed in at one merchant is not signed in at another, even with the same phone and email.
    assert client.get(f"/my/{other_merchant.slug}/").status_code == 302
    # A code for the namesake at the other merchant does not open this merchant's account.
    request_code(client, other_merchant)
    code = code_from(mail.outbox[-1])
    assert LoginCode.objects.filter(customer=namesake).count() == 1
    client.post(f"/my/{other_merchant.slug}/login/code/", {"code": code})
    assert client.get(f"/my/{other_merchant.slug}/").context["customer"] == namesake
    assert client.get(f"/my/{merchant.slug}/").context["customer"] == customer


@pytest.mark.django_db
def test_portal_tampered_session_id_from_another_merchant_is_ignored(client, merchant):
    stranger = customer_create(MerchantFactory())
    session = client.session
    session["portal"] = {merchant.slug: str(stranger.pk)}
    session.save()
    assert client.get(f"/my/{merchant.slug}/").status_code == 302
