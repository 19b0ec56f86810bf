"""The counter, hardened: confirmation of large sales, the receipt limit, empty and zero sales, the
store a sale goes to, receipts that add up on screen, returns in the cashier's words."""
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Role
from loyalty.drafts import draft_parse
from loyalty.models import Entry, PointsAccount, Receipt, Refund, Tier
from loyalty.services import receipt_commit, receipt_refund
from tests.factories import MembershipFactory, MerchantFactory, StoreFactory, customer_create, program_set

PHONE = "+79991234567"


def staff_client(merchant, role=Role.CASHIER, language=None) -> Client:
    membership = MembershipFactory(merchant=merchant, role=role)
    client = Client()
    client.force_login(membership.user)
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.fixture
def cashier(merchant):
    return staff_client(merchant)


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone=PHONE, name="Anna")


def sale_url(customer) -> str:
    return f"/counter/customers/{customer.pk}/sale/"


def fresh_key(client, customer) -> str:
    return client.get(f"/counter/customers/{customer.pk}/").context["idempotency_key"]


def commit(client, customer, key, **fields):
    return client.post(sale_url(customer), {"idempotency_key": key, "action": "commit", **fields})


def text_of(response) -> str:
    """The page's visible text, tags dropped and spaces squeezed, for assertions about what a cashier reads."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("\u00a0", " ")


def commit_receipt(merchant, customer, lines, *, redeem=0, number="A-1", store=None):
    draft = draft_parse({"lines": lines, "redeem_points": redeem}, currency=merchant.currency)
    receipt, _calc = receipt_commit(merchant=merchant, store=store or merchant.stores.get(code="main"), customer=customer,
                                    draft=draft, number=number, now=timezone.now())
    return receipt


# --- confirmation of a large sale ------------------------------------------------------------

@pytest.mark.django_db
def test_counter_sale_above_threshold_asks_to_confirm_then_commits(cashier, customer, merchant):
    program_set(merchant, counter_confirm_amount=Decimal("50000.00"))
    key = fresh_key(cashier, customer)

    asked = commit(cashier, customer, key, amount="1 000 000 000")

    assert asked.status_code == 200
    assert asked.context["confirm"]["subtotal"] == Decimal("1000000000.00")
    assert 'data-testid="confirm"' in asked.content.decode()
    assert "Confirm a sale of ₽1,000,000,000.00" in text_of(asked)
    assert Receipt.objects.filter(merchant=merchant).count() == 0
    assert Entry.objects.filter(customer=customer).count() == 1  # only the welcome bonus

    done = cashier.post(sale_url(customer), {"idempotency_key": key, "action": "confirm", "amount": "1 000 000 000",
                                             "confirm_amount": "1000000000.00"})

    assert done.status_code == 302
    receipt = Receipt.objects.get(merchant=merchant)
    assert receipt.subtotal == Decimal("1000000000.00")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_counter_confirmation_form_confirms_in_every_language(merchant, customer, language):
    """The confirmation posts back the amount it showed, whatever the language formats it as."""
    program_set(merchant, counter_confirm_amount=Decimal("500.00"))
    client = staff_client(merchant, language=language)
    key = fresh_key(client, customer)
    asked = commit(client, customer, key, amount="1234.50")
    sent = re.search(r'name="confirm_amount" value="([^"]*)"', asked.content.decode()).group(1)

    done = client.post(sale_url(customer), {"idempotency_key": key, "action": "confirm", "amount": "1234.50", "confirm_amount": sent})

    assert done.status_code == 302
    assert Receipt.objects.get(merchant=merchant).subtotal == Decimal("1234.50")


@pytest.mark.django_db
def test_counter_confirmation_of_other_figures_asks_again(cashier, customer, merchant):
    program_set(merchant, counter_confirm_amount=Decimal("50000.00"))
    key = fresh_key(cashier, customer)

    response = cashier.post(sale_url(customer), {"idempotency_key": key, "action": "confirm", "amount": "900000",
                                                 "confirm_amount": "60000.00"})

    assert response.status_code == 200
    assert response.context["confirm"]["subtotal"] == Decimal("900000.00")
    assert Receipt.objects.filter(merchant=merchant).count() == 0


@pytest.mark.django_db
def test_counter_sale_at_or_below_threshold_commits_without_question(cashier, customer, merchant):
    program_set(merchant, counter_confirm_amount=Decimal("50000.00"))
    assert commit(cashier, customer, fresh_key(cashier, customer), amount="50000").status_code == 302
    program_set(merchant, counter_confirm_amount=None)  # never asks
    assert commit(cashier, customer, fresh_key(cashier, customer), amount="99999999").status_code == 302
    assert Receipt.objects.filter(merchant=merchant).count() == 2


@pytest.mark.django_db
def test_counter_confirm_threshold_is_per_merchant(cashier, customer, merchant):
    other = MerchantFactory()
    program_set(other, counter_confirm_amount=Decimal("10.00"))
    program_set(merchant, counter_confirm_amount=Decimal("1000.00"))
    assert commit(cashier, customer, fresh_key(cashier, customer), amount="500").status_code == 302
    stranger = customer_create(other, phone=PHONE)
    there = staff_client(other)
    assert commit(there, stranger, fresh_key(there, stranger), amount="500").context["confirm"]["threshold"] == Decimal("10.00")


@pytest.mark.django_db
def test_counter_preview_warns_before_the_confirmation(cashier, customer, merchant):
    program_set(merchant, counter_confirm_amount=Decimal("1000.00"))
    response = cashier.post(sale_url(customer), {"amount": "1500", "idempotency_key": "p"}, HTTP_HX_REQUEST="true")
    assert "Above ₽1,000.00: you will be asked to confirm the sale." in text_of(response)


# --- empty, zero and over the limit -----------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"amount": ""}, "amount", "Enter the amount of the sale, or its lines."),
        ({"amount": "0"}, "amount", "The amount is zero."),
        ({"amount": "0,00"}, "amount", "The amount is zero."),
        ({"item_0": "Bag", "price_0": "0", "item_1": "Card", "price_1": "0.00"}, "price_0", "Every price is zero."),
    ],
)
def test_counter_refuses_empty_and_zero_sales(cashier, customer, merchant, fields, field, message):
    response = commit(cashier, customer, fresh_key(cashier, customer), **fields)

    assert response.status_code == 422
    assert any(message in text for text in response.context["errors"][field]), response.context["errors"]
    assert message in text_of(response)
    assert Receipt.objects.filter(merchant=merchant).count() == 0


@pytest.mark.django_db
def test_counter_gift_line_at_zero_rides_along_with_a_sale(cashier, customer, merchant):
    response = commit(cashier, customer, fresh_key(cashier, customer), item_0="Coffee", price_0="300", item_1="Gift mug", price_1="0")
    assert response.status_code == 302
    assert Receipt.objects.get(merchant=merchant).lines.count() == 2


@pytest.mark.django_db
def test_counter_sale_paid_wholly_with_points_commits(cashier, customer, merchant):
    response = commit(cashier, customer, fresh_key(cashier, customer), amount="200", redeem="max")

    assert response.status_code == 302
    receipt = Receipt.objects.get(merchant=merchant)
    assert (receipt.subtotal, receipt.redeemed_points, receipt.total, receipt.accrued_points) == (Decimal("200.00"), 200, Decimal("0.00"), 0)


@pytest.mark.django_db
def test_counter_sale_over_the_receipt_limit_refused(cashier, customer, merchant):
    program_set(merchant, max_receipt_amount=Decimal("1000.00"), counter_confirm_amount=Decimal("500.00"))

    preview = cashier.post(sale_url(customer), {"amount": "1000.01", "idempotency_key": "p"}, HTTP_HX_REQUEST="true")
    response = commit(cashier, customer, fresh_key(cashier, customer), amount="1000.01")
    confirmed = cashier.post(sale_url(customer), {"idempotency_key": "k", "action": "confirm", "amount": "1000.01",
                                                  "confirm_amount": "1000.01"})

    message = "This sale comes to ₽1,000.01, more than the largest receipt the program accepts (₽1,000.00)."
    assert preview.context["preview_error"] == message
    assert response.status_code == confirmed.status_code == 422
    assert message in text_of(response)
    assert Receipt.objects.filter(merchant=merchant).count() == 0
    assert Entry.objects.filter(customer=customer).count() == 1
    assert commit(cashier, customer, fresh_key(cashier, customer), amount="1000", item_0="", price_0="").status_code == 200  # asks
    assert commit(cashier, customer, fresh_key(cashier, customer), amount="400").status_code == 302


# --- the store a sale goes to -----------------------------------------------------------------

@pytest.mark.django_db
def test_counter_shows_the_store_and_sales_go_to_main_by_default(cashier, customer, merchant):
    StoreFactory(merchant=merchant, code="mall", name="Mall")
    page = cashier.get(f"/counter/customers/{customer.pk}/")
    assert page.context["store"].code == "main"
    assert f"Sale at {merchant.name}" in text_of(page)
    assert '<option value="mall">Mall</option>' in page.content.decode()

    commit(cashier, customer, fresh_key(cashier, customer), amount="100")

    assert Receipt.objects.get(merchant=merchant).store.code == "main"


@pytest.mark.django_db
def test_counter_store_choice_is_remembered_for_the_session(cashier, customer, merchant):
    StoreFactory(merchant=merchant, code="mall", name="Mall")
    back = f"/counter/customers/{customer.pk}/"

    response = cashier.post("/counter/store/", {"store": "mall", "next": back})

    assert response.status_code == 302 and response["Location"] == back
    page = cashier.get(back)
    assert page.context["store"].code == "mall"
    assert "Sale at Mall" in text_of(page)
    commit(cashier, customer, fresh_key(cashier, customer), amount="100")
    receipt = Receipt.objects.get(merchant=merchant)
    assert receipt.store.code == "mall" and receipt.number.startswith("C-MALL-")
    # Another session (another till) still sells at main.
    other_till = staff_client(merchant)
    assert other_till.get(back).context["store"].code == "main"


@pytest.mark.django_db
def test_counter_store_choice_refuses_inactive_and_other_merchants_stores(cashier, customer, merchant):
    StoreFactory(merchant=merchant, code="closed", name="Closed", is_active=False)
    StoreFactory(merchant=MerchantFactory(), code="theirs", name="Theirs")

    for code in ["closed", "theirs", "", "nope"]:
        response = cashier.post("/counter/store/", {"store": code})
        assert response.status_code == 422, code
        assert "Choose one of the active stores." in text_of(response)
    assert cashier.get(f"/counter/customers/{customer.pk}/").context["store"].code == "main"


@pytest.mark.django_db
def test_counter_store_choice_falls_back_when_the_store_closes(cashier, customer, merchant):
    mall = StoreFactory(merchant=merchant, code="mall", name="Mall")
    cashier.post("/counter/store/", {"store": "mall"})
    mall.is_active = False
    mall.save()
    assert cashier.get(f"/counter/customers/{customer.pk}/").context["store"].code == "main"


@pytest.mark.django_db
def test_counter_store_choice_never_redirects_off_site(cashier, merchant):
    StoreFactory(merchant=merchant, code="mall", name="Mall")
    response = cashier.post("/counter/store/", {"store": "mall", "next": "https://evil.example/"})
    assert response["Location"] == "/counter/"


# --- receipts add up on screen ----------------------------------------------------------------

@pytest.fixture
def gold_customer(merchant, customer):
    """Anna in a tier with a 3 % discount, holding the 300-point welcome bonus."""
    gold = Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=2, discount_percent=Decimal("3.00"))
    PointsAccount.objects.filter(customer=customer).update(tier=gold)
    return customer


@pytest.mark.django_db
def test_counter_preview_shows_the_discount_per_line_and_in_totals(cashier, gold_customer):
    response = cashier.post(sale_url(gold_customer), {"item_0": "Shoes", "price_0": "1000", "item_1": "Socks", "price_1": "500",
                                                      "redeem": "max", "idempotency_key": "p"}, HTTP_HX_REQUEST="true")
    text = text_of(response)
    # 1,500 − 45 (3 %) − 300 points = 1,155.
    assert "Subtotal ₽1,500.00 Discount −₽45.00 Paid with 300 points −₽300.00 To pay ₽1,155.00" in text
    assert "1 Shoes ₽1,000.00 −₽30.00 −₽200.00 ₽770.00" in text
    assert "2 Socks ₽500.00 −₽15.00 −₽100.00 ₽385.00" in text


@pytest.mark.django_db
def test_counter_receipt_page_adds_up_with_a_discount_column(cashier, merchant, gold_customer):
    receipt = commit_receipt(merchant, gold_customer, [{"sku": "S1", "name": "Shoes", "quantity": "1", "price": "1000"},
                                                       {"sku": "S2", "name": "Socks", "quantity": "2", "price": "250"}], redeem=300)

    text = text_of(cashier.get(f"/counter/receipts/{receipt.pk}/?done=sale"))

    assert "# Item Qty Amount Discount Paid with points Paid Accrued Returned" in text
    assert "1 Shoes 1 ₽1,000.00 −₽30.00 −₽200.00 200 points ₽770.00" in text
    assert "2 Socks 2 ₽500.00 −₽15.00 −₽100.00 100 points ₽385.00" in text
    assert "Total ₽1,500.00 −₽45.00 −₽300.00 300 points ₽1,155.00" in text


@pytest.mark.django_db
def test_counter_return_page_adds_up_with_a_discount_column(cashier, merchant, gold_customer):
    receipt = commit_receipt(merchant, gold_customer, [{"sku": "S1", "name": "Shoes", "quantity": "1", "price": "1000"},
                                                       {"sku": "S2", "name": "Socks", "quantity": "2", "price": "250"}], redeem=300)

    text = text_of(cashier.get(f"/counter/receipts/{receipt.pk}/return/"))

    assert "Amount Discount Paid with points Paid" in text
    assert "1 Shoes 1 1 ₽1,000.00 −₽30.00 −₽200.00 200 points ₽770.00" in text
    assert "Total ₽1,500.00 −₽45.00 −₽300.00 ₽1,155.00" in text


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/counter/receipts/{pk}/", "/office/receipts/{pk}/"])
def test_receipt_lines_are_numbered_from_one(merchant, customer, url):
    receipt = commit_receipt(merchant, customer, [{"sku": "A", "name": "Apples", "quantity": "1", "price": "10"},
                                                  {"sku": "B", "name": "Bread", "quantity": "1", "price": "20"}])
    client = staff_client(merchant, Role.OWNER)

    text = text_of(client.get(url.format(pk=receipt.pk)))

    assert re.search(r"\b1 Apples\b", text) and re.search(r"\b2 Bread\b", text), text
    assert not re.search(r"\b0 Apples\b", text)


# --- returns ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_fully_returned_receipt_offers_no_return(cashier, merchant, customer):
    kept = commit_receipt(merchant, customer, [{"sku": "A", "quantity": "1", "price": "100"}], number="R-1")
    gone = commit_receipt(merchant, customer, [{"sku": "A", "quantity": "1", "price": "100"}], number="R-2")
    receipt_refund(receipt=gone, data={})

    panel = cashier.get(f"/counter/customers/{customer.pk}/").content.decode()
    receipt_page = cashier.get(f"/counter/receipts/{gone.pk}/").content.decode()

    assert f"/counter/receipts/{kept.pk}/return/" in panel
    assert f"/counter/receipts/{gone.pk}/return/" not in panel
    assert f"/counter/receipts/{gone.pk}/return/" not in receipt_page


@pytest.mark.django_db
def test_fully_returned_receipt_not_offered_in_the_returns_list(cashier, merchant, customer):
    mall = StoreFactory(merchant=merchant, code="mall", name="Mall")
    kept = commit_receipt(merchant, customer, [{"sku": "A", "quantity": "1", "price": "100"}], number="R-7")
    gone = commit_receipt(merchant, customer, [{"sku": "A", "quantity": "1", "price": "100"}], number="R-7", store=mall)
    receipt_refund(receipt=gone, data={})

    page = cashier.get("/counter/returns/", {"number": "R-7"}).content.decode()

    assert f"/counter/receipts/{kept.pk}/return/" in page
    assert f"/counter/receipts/{gone.pk}/return/" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["a-1001", "  A-1001 ", "a-1001\t"])
def test_counter_return_lookup_ignores_case_and_spaces(cashier, merchant, customer, typed):
    receipt = commit_receipt(merchant, customer, [{"sku": "A", "quantity": "1", "price": "100"}], number="A-1001")
    response = cashier.get("/counter/returns/", {"number": typed})
    assert response["Location"] == f"/counter/receipts/{receipt.pk}/return/"


@pytest.mark.django_db
def test_office_receipt_filter_ignores_case(merchant, customer):
    receipt = commit_receipt(merchant, customer, [{"sku": "A", "quantity": "1", "price": "100"}], number="A-1001")
    page = staff_client(merchant, Role.OWNER).get("/office/receipts/", {"number": " a-1001 "})
    assert f"/office/receipts/{receipt.pk}/" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language, typed, expected", [
    ("en", "2", "At most 1 can be returned on this line (bought 1)."),
    ("ru", "2", "По этой строке можно вернуть не больше 1 (куплено 1)."),
])
def test_counter_return_error_in_the_cashiers_words(merchant, customer, language, typed, expected):
    client = staff_client(merchant, language=language)
    key = fresh_key(client, customer)
    commit(client, customer, key, amount="100")
    receipt = Receipt.objects.get(merchant=merchant)
    line = receipt.lines.get()
    assert line.sku == "AMOUNT"

    response = client.post(f"/counter/receipts/{receipt.pk}/return/", {"idempotency_key": "r1", "action": "lines", f"qty_{line.pk}": typed})

    assert response.status_code == 422
    text = text_of(response)
    assert expected in text
    assert "AMOUNT" not in text and "1.000" not in text
    assert Refund.objects.count() == 0


@pytest.mark.django_db
def test_counter_return_error_formats_fractional_quantities_per_language(merchant, customer):
    receipt = commit_receipt(merchant, customer, [{"sku": "CHEESE-7", "name": "Cheese", "quantity": "1.500", "price": "900"}])
    line = receipt.lines.get()
    for language, expected in [("en", "At most 1.5 can be returned on this line (bought 1.5)."),
                               ("ru", "По этой строке можно вернуть не больше 1,5 (куплено 1,5).")]:
        client = staff_client(merchant, language=language)
        response = client.post(f"/counter/receipts/{receipt.pk}/return/", {"idempotency_key": f"r-{language}", "action": "lines",
                                                                             f"qty_{line.pk}": "2"})
        text = text_of(response)
        assert expected in text, text
        assert "CHEESE-7" not in text and "1.500" not in text


@pytest.mark.django_db
def test_counter_return_of_a_returned_line_says_so(cashier, merchant, customer):
    receipt = commit_receipt(merchant, customer, [{"sku": "A", "name": "Apples", "quantity": "1", "price": "10"},
                                                  {"sku": "B", "name": "Bread", "quantity": "1", "price": "20"}])
    receipt_refund(receipt=receipt, data={"lines": [{"sku": "A", "quantity": "1"}]})
    apples = receipt.lines.get(sku="A")

    response = cashier.post(f"/counter/receipts/{receipt.pk}/return/", {"idempotency_key": "r2", "action": "lines", f"qty_{apples.pk}": "1"})

    assert response.status_code == 422
    assert "This line has already been returned in full." in text_of(response)


@pytest.mark.django_db
def test_return_service_error_names_the_item_not_the_sku(merchant, customer):
    from accounts.errors import ApplicationError

    receipt = commit_receipt(merchant, customer, [{"sku": "CHEESE-7", "name": "Cheese", "quantity": "1.500", "price": "900"}])
    with translation.override("en"), pytest.raises(ApplicationError) as caught:
        receipt_refund(receipt=receipt, data={"lines": [{"sku": "CHEESE-7", "quantity": "2"}]})
    assert caught.value.message == "Cannot return more of “Cheese” than is left: 1.5 bought, 1.5 left to return."
