"""What the cashier and the customer see of promotions: the counter panel part (gifts waiting, live offers,
stamp progress), the promo-code input of the ring-up with each code's status, and the portal sections
(offers, gifts, stamp cards, personal codes) for the signed-in customer only."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role, Store
from loyalty.checkout import Draft, DraftLine
from loyalty.counter.forms import promo_codes_parse, sale_data_build
from loyalty.models import Receipt
from loyalty.services import receipt_commit
from promotions import services
from tests.factories import MembershipFactory, MerchantFactory, customer_create, row_counts

pytestmark = pytest.mark.django_db

EMAIL = "anna@example.test"


def promotion_make(merchant, **fields):
    data = {"code": "milk-yellow", "name": "Milk -25%", "effects": [{"type": "percent_off", "value": "25"}], **fields}
    return services.promotion_create(merchant=merchant, data=data)


def cashier_client(merchant, language="en") -> Client:
    membership = MembershipFactory(merchant=merchant, role=Role.CASHIER)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(membership.user)
    client.cookies["django_language"] = language
    return client


def commit(merchant, customer, *, number, price="100.00"):
    draft = Draft(lines=(DraftLine(sku="MILK-1", quantity=Decimal("1"), price=Decimal(price)),), purchased_at=timezone.now())
    receipt, _calc = receipt_commit(merchant=merchant, store=Store.objects.get(merchant=merchant, code="main"), customer=customer,
                                    draft=draft, number=number)
    return receipt


def sign_in(client, merchant, email=EMAIL):
    client.post(f"/my/{merchant.slug}/login/", {"identifier": email}, REMOTE_ADDR="10.0.0.1")
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert client.post(f"/my/{merchant.slug}/login/code/", {"code": code}).status_code == 302


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone="+79991234567", name="Anna", email=EMAIL)


@pytest.fixture
def everything(merchant, customer):
    """A gift, an offer with an end date and 2 uses, a stamp card with 2 of 5 stamps and a personal code."""
    services.gift_grant(customer=customer, data={"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5"})
    plants = promotion_make(merchant, code="plants-20", name="Plants -20%", audience={"offer_only": True},
                            target={"categories": ["plants"]})
    ends = timezone.now() + timedelta(days=14)
    services.offer_grant(customer=customer, promotion=plants, days=14, uses=2)
    promotion_make(merchant, code="fifth", name="Every 5th coffee half price", conditions={"every_nth": {"n": 5, "days": None}})
    commit(merchant, customer, number="S-1")
    commit(merchant, customer, number="S-2")
    spring = promotion_make(merchant, code="spring", name="Spring -10%", conditions={"code_required": True})
    services.codes_create(promotion=spring, data={"count": 1, "prefix": "PET-", "customers": [str(customer.pk)],
                                                  "expires_at": (timezone.now() + timedelta(days=30)).isoformat()})
    return {"ends": ends}


# ---------------------------------------------------------------- counter panel


def test_counter_panel_shows_gift_offer_with_end_date_and_stamp_progress(merchant, customer, everything):
    response = cashier_client(merchant).get(f"/counter/customers/{customer.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="panel-promotions"' in html
    assert "5 packs of Whiskas" in html and "WHISKAS-85" in html and "it goes at 0.00" in html
    assert "Plants -20%" in html and "2 uses left" in html
    assert f"until {everything['ends'].astimezone(timezone.get_fixed_timezone(0)).year}" not in html  # a date, not a raw datetime
    assert re.search(r"until \w+ \d{1,2}, \d{4}", html)
    assert "Every 5th coffee half price" in html and "3 more purchases to the reward" in html
    assert html.count("stamp-dot-on") == 2


def test_counter_panel_in_russian_uses_plural_forms(merchant, customer, everything):
    html = cashier_client(merchant, "ru").get(f"/counter/customers/{customer.pk}/").content.decode()

    assert "Подарки к выдаче" in html
    assert "ещё 3 покупки до награды" in html
    assert "осталось 2 использования" in html


def test_counter_panel_without_promotions_has_no_promotions_part(merchant, customer):
    html = cashier_client(merchant).get(f"/counter/customers/{customer.pk}/").content.decode()

    assert 'data-testid="panel-promotions"' not in html
    assert "Gifts waiting" not in html


def test_counter_panel_never_shows_another_merchants_gift(merchant, customer):
    other = MerchantFactory()
    stranger = customer_create(other, phone="+79990000001")
    services.gift_grant(customer=stranger, data={"name": "Free bone", "sku": "BONE-1"})

    html = cashier_client(merchant).get(f"/counter/customers/{customer.pk}/").content.decode()

    assert "Free bone" not in html
    assert cashier_client(merchant).get(f"/counter/customers/{stranger.pk}/").status_code == 404


# ---------------------------------------------------------------- the promo-code input


def test_promo_codes_parse_splits_on_spaces_commas_and_drops_repeats():
    assert promo_codes_parse(" spring30, PET-ABCD2345 ;spring30\nX ") == (["spring30", "PET-ABCD2345", "X"], [])
    assert promo_codes_parse("") == ([], [])
    codes, errors = promo_codes_parse("A" * 65)
    assert codes == [] and errors
    codes, errors = promo_codes_parse(" ".join(f"C{i}" for i in range(11)))
    assert codes == [] and errors


def test_sale_form_puts_the_codes_into_the_draft_and_only_when_given():
    data, _rows, errors = sale_data_build({"amount": "100", "promo_codes": "SPRING30, pet-1"})
    assert errors == {} and data["promo_codes"] == ["SPRING30", "pet-1"]
    data, _rows, errors = sale_data_build({"amount": "100", "promo_codes": "  "})
    assert errors == {} and "promo_codes" not in data


def test_too_many_codes_is_an_error_beside_the_code_field_and_nothing_is_written(merchant, customer):
    client = cashier_client(merchant)
    key = client.get(f"/counter/customers/{customer.pk}/").context["idempotency_key"]
    before = row_counts()

    response = client.post(f"/counter/customers/{customer.pk}/sale/", {
        "idempotency_key": key, "action": "commit", "amount": "100",
        "promo_codes": " ".join(f"C{i}" for i in range(11))})

    assert response.status_code == 422
    assert "Enter at most 10 promo codes." in response.content.decode()
    assert response.context["errors"]["promo_codes"]
    assert row_counts() == before


@pytest.fixture
def spring(merchant):
    """A promotion that needs a code, with the public code SPRING30."""
    promotion = promotion_make(merchant, code="spring", name="Spring -10%", conditions={"code_required": True},
                               effects=[{"type": "percent_off", "value": "10"}])
    services.codes_create(promotion=promotion, data={"code": "SPRING30"})
    return promotion


def test_code_reaches_the_draft_and_the_preview_says_why_a_code_was_rejected(merchant, customer, spring):
    client = cashier_client(merchant)

    response = client.post(f"/counter/customers/{customer.pk}/sale/", {"amount": "100", "promo_codes": "spring30 nope",
                                                                       "action": "preview"})

    html = response.content.decode()
    assert response.context["preview"].discount == Decimal("10.00")
    assert re.search(r"spring30</span>: applied", html)
    assert re.search(r"nope</span>: rejected — No such code\.", html)
    assert "Spring -10%" in html
    # The htmx preview says the same, in Russian for a Russian cashier.
    ru = cashier_client(merchant, "ru").post(f"/counter/customers/{customer.pk}/sale/", {"amount": "100", "promo_codes": "nope"},
                                             HTTP_HX_REQUEST="true")
    assert "Такого кода нет." in ru.content.decode()


@pytest.mark.parametrize(("setup", "reason"), [
    ("expired", "The code has expired."),
    ("not_yours", "The code belongs to another customer."),
])
def test_preview_names_each_rejection_reason(merchant, customer, spring, setup, reason):
    if setup == "expired":
        services.codes_create(promotion=spring, data={"code": "OLD-1", "expires_at": (timezone.now() + timedelta(minutes=1)).isoformat()})
        spring.codes.filter(code="OLD-1").update(expires_at=timezone.now() - timedelta(minutes=1))
        code = "OLD-1"
    else:
        neighbour = customer_create(merchant, phone="+79990000003")
        services.codes_create(promotion=spring, data={"count": 1, "customers": [str(neighbour.pk)]})
        code = spring.codes.get(customer=neighbour).code

    html = cashier_client(merchant).post(f"/counter/customers/{customer.pk}/sale/",
                                         {"amount": "100", "promo_codes": code, "action": "preview"}).content.decode()

    assert f"rejected — {reason}" in html


def test_commit_with_a_rejected_code_is_refused_with_the_reason_and_writes_nothing(merchant, customer, spring):
    client = cashier_client(merchant)
    key = client.get(f"/counter/customers/{customer.pk}/").context["idempotency_key"]
    before = row_counts()

    response = client.post(f"/counter/customers/{customer.pk}/sale/", {"idempotency_key": key, "action": "commit", "amount": "100",
                                                                       "promo_codes": "SPRING30 nope"})

    html = response.content.decode()
    assert response.status_code == 422
    assert "Not committed: No such code." in html
    assert 'value="SPRING30 nope"' in html  # the cashier corrects it in place
    assert re.search(r"nope</span>: rejected", html)  # the preview beside it says which one
    assert row_counts() == before
    assert not Receipt.objects.exists()
    assert spring.codes.get().used_count == 0


def test_commit_with_an_applied_code_prices_it_and_says_so_on_the_receipt(merchant, customer, spring):
    client = cashier_client(merchant)
    key = client.get(f"/counter/customers/{customer.pk}/").context["idempotency_key"]

    response = client.post(f"/counter/customers/{customer.pk}/sale/", {"idempotency_key": key, "action": "commit", "amount": "100",
                                                                       "promo_codes": "spring30"}, follow=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Promo code spring30 applied." in html
    receipt = Receipt.objects.get()
    assert receipt.discount == Decimal("10.00")
    assert "Spring -10%" in html and "10.00" in html


def test_preview_lists_a_promotion_and_a_gift_with_their_amounts(merchant, customer):
    promotion_make(merchant, target={"skus": ["MILK-1"]})
    services.gift_grant(customer=customer, data={"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5"})

    response = cashier_client(merchant).post(f"/counter/customers/{customer.pk}/sale/", {
        "item_0": "MILK-1", "price_0": "100.00", "item_1": "WHISKAS-85", "qty_1": "5", "price_1": "40.00", "action": "preview"})

    html = response.content.decode()
    explain = html.split('data-testid="explain"')[1].split("</ul>")[0]
    assert "Milk -25%" in explain and "25.00" in explain
    assert "5 packs of Whiskas" in explain and "200.00" in explain
    assert response.context["preview"].discount == Decimal("225.00")


def test_explanation_shows_the_amount_a_promotion_and_a_gift_took_off(merchant, customer):
    from django.template.loader import render_to_string

    applied = [{"kind": "promotion", "promotion": "milk-yellow", "name": "Milk -25%", "detail": "25% off", "amount": "44.95", "points": 0},
               {"kind": "gift", "name": "5 packs of Whiskas", "detail": "", "amount": "200.00"}]
    html = render_to_string("components/explain.html", {"applied": applied, "merchant": merchant})

    assert "Milk -25%" in html and "44.95" in html
    assert "5 packs of Whiskas" in html and "200.00" in html
    assert "→" not in html  # no points line for entries that gave none


# ---------------------------------------------------------------- portal


def test_portal_shows_offers_gifts_stamps_and_personal_codes_of_the_signed_in_customer(client, merchant, customer, everything):
    sign_in(client, merchant)

    html = client.get(f"/my/{merchant.slug}/").content.decode()

    assert 'data-testid="portal-promotions"' in html
    assert "5 packs of Whiskas" in html
    assert "Plants -20%" in html and re.search(r"Until \w+ \d{1,2}, \d{4}", html) and "2 purchases left" in html
    assert "Every 5th coffee half price" in html and "3 more purchases to your reward" in html
    assert html.count('class="stamp stamp-on"') == 2 and html.count('class="stamp"') == 3
    assert re.search(r'class="mono promo-code">PET-\w+<', html) and "Use by" in html
    assert "style=" not in html.split('data-testid="portal-promotions"')[1].split("</section>")[0]


def test_portal_in_russian_uses_plural_forms(client, merchant, customer, everything):
    sign_in(client, merchant)
    client.cookies["django_language"] = "ru"

    html = client.get(f"/my/{merchant.slug}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert "Мои предложения" in html
    assert "ещё 3 покупки до вашей награды" in html
    assert "осталось 2 покупки" in html


def test_portal_never_shows_another_customers_or_merchants_offers(client, merchant, customer):
    neighbour = customer_create(merchant, phone="+79990000002", name="Boris")
    services.gift_grant(customer=neighbour, data={"name": "Neighbour's gift", "sku": "N-1"})
    spring = promotion_make(merchant, code="spring", name="Spring -10%")
    services.codes_create(promotion=spring, data={"count": 1, "customers": [str(neighbour.pk)]})
    other = MerchantFactory()
    twin = customer_create(other, phone="+79991234567", name="Anna elsewhere")
    services.gift_grant(customer=twin, data={"name": "Other shop's gift", "sku": "O-1"})
    sign_in(client, merchant)

    html = client.get(f"/my/{merchant.slug}/").content.decode()

    assert "Neighbour's gift" not in html and "Other shop's gift" not in html
    assert "Spring -10%" not in html
    assert 'data-testid="portal-promotions"' not in html


def test_portal_hides_used_and_expired_codes(client, merchant, customer):
    spring = promotion_make(merchant, code="spring", name="Spring -10%")
    services.codes_create(promotion=spring, data={"count": 1, "customers": [str(customer.pk)]})
    code = spring.codes.get()
    code.used_at = timezone.now()
    code.used_count = 1
    code.save()
    services.codes_create(promotion=spring, data={"count": 1, "customers": [str(customer.pk)],
                                                  "expires_at": (timezone.now() + timedelta(days=1)).isoformat()})
    expired = spring.codes.exclude(pk=code.pk).get()
    expired.expires_at = timezone.now() - timedelta(minutes=1)
    expired.save()
    sign_in(client, merchant)

    html = client.get(f"/my/{merchant.slug}/").content.decode()

    assert 'data-testid="portal-codes"' not in html
