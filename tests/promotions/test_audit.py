"""What marketers do to promotions reads as sentences in the audit log, in English and Russian."""
import re

import pytest
from django.test import Client

from accounts.models import Role
from promotions.services import (code_batch_create, code_create, gift_grant, gift_withdraw, offer_grant, promotion_create,
                                 promotion_delete, promotion_update)
from tests.factories import MembershipFactory, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer_member(merchant):
    return MembershipFactory(merchant=merchant, role=Role.MARKETER, user__full_name="Mila Marketer")


def log_text(member, language="en") -> str:
    client = Client()
    client.force_login(member.user)
    client.cookies["django_language"] = language
    body = client.get("/office/audit/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    table = body[body.index("<table"):] if "<table" in body else ""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table)).replace("\u00a0", " ")


def test_promotion_life_reads_as_sentences(merchant, marketer_member):
    actor = marketer_member.user
    anna = customer_create(merchant, phone="+79991234567", name="Anna")
    milk = promotion_create(merchant=merchant, actor=actor, data={
        "code": "milk-25", "name": "Yellow price", "effects": [{"type": "percent_off", "value": "25"}]})
    promotion_update(promotion=milk, actor=actor, data={"active": False})
    code_create(promotion=milk, actor=actor, data={"code": "SPRING30"})
    code_batch_create(promotion=milk, actor=actor, data={"customers": [str(anna.pk)]})
    offer_grant(customer=anna, promotion=milk, days=14, uses=1, actor=actor)
    gift = gift_grant(customer=anna, actor=actor, data={"name": "Cat food", "sku": "WHISKAS", "quantity": "5"})
    gift_withdraw(gift=gift, actor=actor)
    spare = promotion_create(merchant=merchant, actor=actor, data={
        "code": "spare", "name": "Spare", "effects": [{"type": "percent_off", "value": "5"}]})
    promotion_delete(promotion=spare, actor=actor)

    text = log_text(marketer_member)
    assert "Promotion Yellow price (milk-25) created" in text
    assert "Promotion milk-25: active from on to off" in text
    assert "Code SPRING30 created for promotion milk-25" in text
    assert "1 personal code generated for promotion milk-25 for listed customers" in text
    assert "Offer of promotion milk-25 for Anna (+7 999 123-45-67), 14 days, 1 use" in text
    assert "Gift Cat food × 5 for Anna (+7 999 123-45-67)" in text
    assert "Gift Cat food withdrawn from Anna (+7 999 123-45-67)" in text
    assert "Promotion Spare (spare) deleted" in text
    assert "{" not in text and "promotion.created" not in text

    russian = log_text(marketer_member, "ru")
    assert "Акция Yellow price (milk-25) создана" in russian
    assert "Предложение акции milk-25 для Anna (+7 999 123-45-67), 14 дней, 1 использование" in russian


def test_promotion_actions_are_in_the_filter(merchant, marketer_member):
    actor = marketer_member.user
    promotion_create(merchant=merchant, actor=actor, data={"code": "milk-25", "name": "Yellow price",
                                                           "effects": [{"type": "percent_off", "value": "25"}]})
    customer_create(merchant, phone="+79991234567", name="Anna")
    client = Client()
    client.force_login(marketer_member.user)
    body = client.get("/office/audit/").content.decode()
    assert '<option value="promotion.created">Promotion created</option>' in body
    filtered = client.get("/office/audit/?action=promotion.created").content.decode()
    assert "Promotion Yellow price (milk-25) created" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", filtered))
