"""Stored texts read in the reader's language; Russian plural forms on real pages.

A Russian merchant's POS writes a receipt; a cashier and a marketer who read in English see English
explanations and history, the customer sees the portal and their email in the language they chose,
and the API keeps answering in the merchant's language with the documented shapes.
"""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from loyalty.jobs import customer_messages_email
from loyalty.models import CustomerMessage, Entry, EntryKind
from loyalty.services import points_adjust, points_expire, receipt_commit, receipt_refund
from loyalty.services.tiers import tier_create, tiers_recalculate
from tests.factories import MembershipFactory, MerchantFactory, api_key, customer_create, draft, program_set

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile(r"[а-яА-ЯёЁ]")


@pytest.fixture
def merchant(db):
    return MerchantFactory(language="ru")


def staff(merchant, role, language) -> Client:
    client = Client()
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    client.cookies["django_language"] = language
    return client


def portal(merchant, customer, language) -> Client:
    client = Client()
    session = client.session
    session["portal"] = {merchant.slug: str(customer.pk)}
    session.save()
    client.cookies["django_language"] = language
    return client


def text_of(response) -> str:
    """The page's visible text, tags dropped and spaces squeezed."""
    assert response.status_code == 200
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</?(strong|span|em|b|a|kbd)\b[^>]*>", "", body)  # inline tags join their words
    body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("\u00a0", " ")
    return body.replace("Русский", "")  # the language switch names Russian in Russian on every page


def pos_commit(merchant, customer, *, redeem=0, number="R-1"):
    _key, secret = api_key(merchant, scope="pos")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post(
        "/api/v1/receipts",
        {"customer": str(customer.pk), "store": "main", "number": number, "redeem_points": redeem,
         "lines": [{"sku": "MILK-1", "name": "Milk", "quantity": "2", "price": "500.00"}]},
        format="json", HTTP_IDEMPOTENCY_KEY=f"key-{number}",
    )
    assert response.status_code == 201, response.content
    return client, response.json()


# --- one receipt, read by each reader in their own language ---------------------------------------

def test_a_russian_pos_receipt_reads_in_english_on_the_counter_and_in_the_office(merchant):
    customer = customer_create(merchant, name="Anna", language="en")
    api, body = pos_commit(merchant, customer, redeem=100)
    # the API answers in the merchant's language, in the documented shape
    assert [item["name"] for item in body["applied"]] == ["Списание баллов", "Базовое начисление 5%"]
    assert all(set(item) <= {"kind", "name", "detail", "points", "amount"} for item in body["applied"])
    assert api.get(f"/api/v1/receipts/{body['id']}").json()["applied"] == body["applied"]
    entries = api.get(f"/api/v1/customers/{customer.pk}/entries", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert entries[0]["description"] == "Баллы за покупку, чек R-1"  # the merchant's language, whatever Accept-Language says
    assert set(entries[0]) == {"id", "at", "kind", "points", "receipt", "description", "expires_on"}

    counter = text_of(staff(merchant, Role.CASHIER, "en").get(f"/counter/receipts/{body['id']}/"))
    assert "Points redeemed: 100 points at 1.00 each → 100 points" in counter
    assert "Base accrual 5%: 5% of 900.00 paid in money, rounded down → 45 points" in counter
    assert not CYRILLIC.search(counter)

    office = staff(merchant, Role.MARKETER, "en")
    detail = text_of(office.get(f"/office/receipts/{body['id']}/"))
    assert "Base accrual 5%" in detail and not CYRILLIC.search(detail)
    history = text_of(office.get(f"/office/customers/{customer.pk}/"))
    assert "Accrual Receipt R-1" in history and "Redemption Receipt R-1" in history
    assert not CYRILLIC.search(history)

    # the customer chose English: the portal is in English too
    home = text_of(portal(merchant, customer, "en").get(f"/my/{merchant.slug}/"))
    assert "Points for purchase, receipt R-1" in home and "Welcome bonus for joining" in home
    assert not CYRILLIC.search(home)


def test_the_same_receipt_reads_in_russian_for_a_russian_reader():
    merchant = MerchantFactory(language="en")
    customer = customer_create(merchant, name="Anna", language="ru")
    _api, body = pos_commit(merchant, customer, redeem=100)
    assert body["applied"][0]["name"] == "Points redeemed"

    counter = text_of(staff(merchant, Role.CASHIER, "ru").get(f"/counter/receipts/{body['id']}/"))
    assert "Списание баллов: 100 баллов по 1,00 → 100 баллов" in counter
    assert "Базовое начисление 5%: 5% от 900,00, оплаченных деньгами, с округлением вниз → 45 баллов" in counter
    home = text_of(portal(merchant, customer, "ru").get(f"/my/{merchant.slug}/"))
    assert "Баллы за покупку, чек R-1" in home and "Points for purchase" not in home


def test_the_counter_preview_and_its_errors_are_in_the_cashiers_language(merchant):
    customer = customer_create(merchant, name="Anna")
    program_set(merchant, max_redeem_percent="10.00")
    client = staff(merchant, Role.CASHIER, "en")
    response = client.post(f"/counter/customers/{customer.pk}/sale/", {"amount": "480", "redeem": "100", "action": "preview"})
    page = text_of(response)
    assert "At most 48 points can be redeemed on this receipt." in page
    assert "По этому чеку" not in page

    preview = text_of(client.post(f"/counter/customers/{customer.pk}/sale/", {"amount": "480", "redeem": "0"}, HTTP_HX_REQUEST="true"))
    assert "Base accrual 5%: 5% of 480.00 paid in money, rounded down → 24 points" in preview
    assert not CYRILLIC.search(preview)


def test_an_adjustment_keeps_its_reason_verbatim_and_the_badge_is_not_doubled(merchant):
    customer = customer_create(merchant, name="Anna")
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER)
    points_adjust(customer=customer, points=50, reason="Жалоба: кофе остыл", staff=owner.user)

    russian = text_of(staff(merchant, Role.MARKETER, "ru").get(f"/office/customers/{customer.pk}/"))
    assert "Корректировка Жалоба: кофе остыл" in russian
    assert "Корректировка Корректировка" not in russian
    assert "Приветственный бонус Приветственный бонус" not in russian
    english = text_of(staff(merchant, Role.MARKETER, "en").get(f"/office/customers/{customer.pk}/"))
    assert "Adjustment Жалоба: кофе остыл" in english and "Корректировка" not in english
    home = text_of(portal(merchant, customer, "en").get(f"/my/{merchant.slug}/"))
    assert "Adjustment: Жалоба: кофе остыл" in home


def test_the_expiry_entry_written_by_sql_reads_in_the_readers_language(merchant):
    customer = customer_create(merchant, name="Anna", language="en")
    assert points_expire(now=timezone.now() + timedelta(days=30)) == 1
    entry = Entry.objects.get(customer=customer, kind=EntryKind.EXPIRY)
    assert (entry.description, entry.description_code) == ("Баллы сгорели", "entry.expiry")

    home = text_of(portal(merchant, customer, "en").get(f"/my/{merchant.slug}/"))
    assert "Points expired" in home and "сгорел" not in home
    office = text_of(staff(merchant, Role.MARKETER, "en").get(f"/office/customers/{customer.pk}/"))
    assert "Expiry" in office and not CYRILLIC.search(office)


def test_rows_written_before_the_codes_still_read(merchant):
    customer = customer_create(merchant, name="Anna")
    now = timezone.now()
    for description in ("Корректировка: старая причина", "Баллы за покупку, чек OLD-7", "Подарок от магазина"):
        Entry.objects.create(merchant=merchant, customer=customer, kind=EntryKind.ADJUSTMENT, points=5, at=now, description=description)
    CustomerMessage.objects.create(merchant=merchant, customer=customer, title="Старое сообщение", body="Текст")

    home = text_of(portal(merchant, customer, "en").get(f"/my/{merchant.slug}/"))
    # known sentences are read back and rendered anew; free text stays as written
    assert "Adjustment: старая причина" in home
    assert "Points for purchase, receipt OLD-7" in home
    assert "Подарок от магазина" in home
    assert "Старое сообщение" in home


def test_tier_messages_reach_the_customer_in_their_language_in_the_portal_and_by_email(merchant):
    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "1000.00"}})
    english = customer_create(merchant, name="Anna", email="anna@example.test", consent_email=True, language="en")
    russian = customer_create(merchant, name="Oleg", email="oleg@example.test", consent_email=True, language="")
    for number, customer in (("1", english), ("2", russian)):
        receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                       draft=draft(("ITEM", "1", "1000.00")), number=number)

    assert customer_messages_email(list(CustomerMessage.objects.values_list("pk", flat=True))) == 2
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects == {"anna@example.test": "Welcome to Gold!", "oleg@example.test": "Добро пожаловать в Gold!"}
    home = text_of(portal(merchant, english, "en").get(f"/my/{merchant.slug}/"))
    assert "Welcome to Gold! You have reached the Gold tier." in home


# --- Russian plural forms on a real page ----------------------------------------------------------

@pytest.mark.parametrize("points, word", [(1, "балл"), (2, "балла"), (5, "баллов"), (21, "балл"), (502, "балла")])
def test_russian_plural_forms_of_points_on_the_customer_pages(merchant, points, word):
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant, name="Anna")
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER)
    points_adjust(customer=customer, points=points, reason="тест", staff=owner.user)
    shown = f"{points}"

    office = text_of(staff(merchant, Role.MARKETER, "ru").get(f"/office/customers/{customer.pk}/"))
    assert f"{shown} {word} можно потратить сейчас" in office
    home = text_of(portal(merchant, customer, "ru").get(f"/my/{merchant.slug}/"))
    assert f"{shown} {word} " in home

    # an explanation and an error on the counter count the same way
    cashier = staff(merchant, Role.CASHIER, "ru")
    program_set(merchant, max_redeem_percent="100.00", accrual_percent="100.00")
    preview = text_of(cashier.post(f"/counter/customers/{customer.pk}/sale/", {"amount": str(points), "redeem": "0"},
                                   HTTP_HX_REQUEST="true"))
    assert f"→ {shown} {word}" in preview
    over = text_of(cashier.post(f"/counter/customers/{customer.pk}/sale/", {"amount": "100000", "redeem": str(points + 1),
                                                                                 "action": "preview"}))
    assert f"доступно {shown} {word}," in over or f"доступен {shown} {word}," in over


def test_a_downgrade_by_the_nightly_job_is_told_in_the_customers_language(merchant):
    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "1000.00"}})
    customer = customer_create(merchant, name="Anna", language="en")
    receipt, _calc = receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                                    draft=draft(("ITEM", "1", "1000.00")), number="1")
    receipt_refund(receipt=receipt, data={})
    assert tiers_recalculate(now=timezone.now()) == 1  # the set-based run writes the messages in SQL

    message = CustomerMessage.objects.filter(customer=customer).latest("pk")
    assert (message.title, message.code, message.params) == ("Ваш уровень теперь — Member", "tier.down", {"tier": "Member"})
    home = text_of(portal(merchant, customer, "en").get(f"/my/{merchant.slug}/"))
    assert "Your tier is now Member" in home and "Ваш уровень" not in home
