"""The counter screen: roles, search, join, ring-up with preview, idempotent commit, returns, tenancy."""
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Customer, Role
from loyalty.models import Entry, Receipt, Refund
from loyalty.selectors import balance_get
from tests.factories import MembershipFactory, MerchantFactory, customer_create

PHONE = "+79991234567"


def staff_client(merchant, role) -> Client:
    membership = MembershipFactory(merchant=merchant, role=role)
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def cashier(merchant):
    return staff_client(merchant, Role.CASHIER)


@pytest.fixture
def customer(merchant):
    return customer_create(merchant, phone=PHONE, name="Anna")


def sale_url(customer) -> str:
    return f"/counter/customers/{customer.pk}/sale/"


def open_sale_form(client, customer) -> str:
    response = client.get(f"/counter/customers/{customer.pk}/")
    assert response.status_code == 200
    return response.context["idempotency_key"]


def commit(client, customer, key, **fields):
    return client.post(sale_url(customer), {"idempotency_key": key, "action": "commit", **fields})


# --- roles and tenancy -------------------------------------------------------------------------

@pytest.mark.django_db
def test_counter_anonymous_goes_to_login(client):
    response = client.get("/counter/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.CASHIER, Role.OWNER])
def test_counter_pages_open_for_cashier_and_owner(merchant, customer, role):
    client = staff_client(merchant, role)
    for url in ["/counter/", f"/counter/customers/{customer.pk}/", "/counter/returns/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_counter_forbidden_to_marketer(merchant, customer):
    client = staff_client(merchant, Role.MARKETER)
    assert client.get("/counter/").status_code == 403
    assert client.get(f"/counter/customers/{customer.pk}/").status_code == 403
    assert client.get("/counter/returns/").status_code == 403
    response = client.post(sale_url(customer), {"amount": "100", "idempotency_key": "k1"})
    assert response.status_code == 403
    assert Receipt.objects.count() == 0


@pytest.mark.django_db
def test_counter_another_merchants_customer_and_receipt_unreachable(cashier, merchant):
    other = MerchantFactory()
    stranger = customer_create(other, phone=PHONE)
    owner_there = staff_client(other, Role.CASHIER)
    key = open_sale_form(owner_there, stranger)
    assert commit(owner_there, stranger, key, amount="100").status_code == 302
    receipt = Receipt.objects.get(merchant=other)

    assert cashier.get(f"/counter/customers/{stranger.pk}/").status_code == 404
    assert cashier.post(sale_url(stranger), {"amount": "100", "idempotency_key": "x"}).status_code == 404
    assert cashier.get(f"/counter/receipts/{receipt.pk}/").status_code == 404
    assert cashier.get(f"/counter/receipts/{receipt.pk}/return/").status_code == 404
    assert cashier.post(f"/counter/receipts/{receipt.pk}/return/", {"action": "all", "idempotency_key": "y"}).status_code == 404
    # Searching this merchant for the other merchant's phone or receipt finds nothing.
    response = cashier.get("/counter/", {"q": PHONE})
    assert response.status_code == 200
    assert response.context["join_phone"] == PHONE
    response = cashier.get("/counter/returns/", {"number": receipt.number})
    assert response.status_code == 200
    assert response.context["receipts"] == []
    assert Receipt.objects.count() == 1
    assert Refund.objects.count() == 0


# --- search and join ---------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["8 (999) 123-45-67", "+7 999 123 45 67", "79991234567", "9991234567"])
def test_counter_search_finds_phone_in_any_format(cashier, customer, typed):
    response = cashier.get("/counter/", {"q": typed})
    assert response.status_code == 302
    assert response["Location"] == f"/counter/customers/{customer.pk}/"


@pytest.mark.django_db
def test_counter_search_finds_card_number_scanned_and_referral_code(cashier, customer):
    for typed in [customer.card_number, f" {customer.card_number}\n", customer.referral_code]:
        response = cashier.get("/counter/", {"q": typed})
        assert response["Location"] == f"/counter/customers/{customer.pk}/", typed


@pytest.mark.django_db
def test_counter_search_no_match_offers_join_for_a_phone(cashier):
    response = cashier.get("/counter/", {"q": "8 (912) 000-11-22"})
    assert response.status_code == 200
    assert response.context["join_phone"] == "+79120001122"
    assert b'action="/counter/join/"' in response.content


@pytest.mark.django_db
def test_counter_search_nonsense_offers_nothing(cashier):
    response = cashier.get("/counter/", {"q": "hello"})
    assert response.status_code == 200
    assert response.context["join_phone"] is None
    assert b'action="/counter/join/"' not in response.content


@pytest.mark.django_db
def test_counter_join_registers_once_per_key(cashier, merchant):
    data = {"phone": "+79120001122", "name": "Boris", "idempotency_key": "join-1"}
    first = cashier.post("/counter/join/", data)
    second = cashier.post("/counter/join/", data)
    customer = Customer.objects.get(merchant=merchant, phone="+79120001122")
    assert first.status_code == 302
    assert first["Location"] == second["Location"] == f"/counter/customers/{customer.pk}/"
    assert customer.name == "Boris"
    assert Customer.objects.filter(merchant=merchant).count() == 1
    assert balance_get(merchant=merchant, customer=customer).available == 300


@pytest.mark.django_db
def test_counter_join_bad_phone_rerendered_nothing_written(cashier, merchant):
    response = cashier.post("/counter/join/", {"phone": "12", "idempotency_key": "join-2"})
    assert response.status_code == 422
    assert response.context["join_error"]
    assert Customer.objects.filter(merchant=merchant).count() == 0


@pytest.mark.django_db
def test_counter_join_existing_phone_opens_that_customer(cashier, customer):
    response = cashier.post("/counter/join/", {"phone": "8 999 123 45 67", "idempotency_key": "join-3"})
    assert response.status_code == 302
    assert response["Location"] == f"/counter/customers/{customer.pk}/"
    assert Customer.objects.count() == 1


# --- ring up -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_counter_customer_panel_shows_balance_expiry_and_recent(cashier, customer):
    response = cashier.get(f"/counter/customers/{customer.pk}/")
    assert response.context["balance"].available == 300
    assert [item["points"] for item in response.context["expiring"]] == [300]  # the 14-day welcome bonus
    assert response.context["recent"] == []
    assert b'id="q"' in response.content and b"autofocus" in response.content
    for key in [b"F2", b"F4", b"F8", b"Esc"]:
        assert key in response.content


@pytest.mark.django_db
def test_counter_preview_renders_calculation_with_explanation(cashier, customer):
    response = cashier.post(sale_url(customer), {"amount": "1 000,00", "redeem": "max", "idempotency_key": "p"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "counter/partials/_preview.html"
    preview = response.context["preview"]
    assert preview.subtotal == Decimal("1000.00")
    assert preview.redeemed_points == 300
    assert preview.total == Decimal("700.00")
    assert preview.accrued_points == 35
    assert "Base accrual 5%" in response.content.decode()
    assert Receipt.objects.count() == 0


@pytest.mark.django_db
def test_counter_preview_without_js_rerenders_page(cashier, customer):
    response = cashier.post(sale_url(customer), {"amount": "200", "redeem": "", "action": "preview", "idempotency_key": "p"})
    assert response.status_code == 200
    assert response.context["preview"].accrued_points == 10
    assert response.context["idempotency_key"] == "p"
    assert Receipt.objects.count() == 0


@pytest.mark.django_db
def test_counter_preview_over_balance_shows_error(cashier, customer):
    response = cashier.post(sale_url(customer), {"amount": "1000", "redeem": "500", "idempotency_key": "p"}, HTTP_HX_REQUEST="true")
    assert "300 points available" in response.context["preview_error"]


@pytest.mark.django_db
def test_counter_commit_max_redeem_shows_new_balance(cashier, customer, merchant):
    key = open_sale_form(cashier, customer)
    response = commit(cashier, customer, key, amount="1000.00", redeem="max")
    receipt = Receipt.objects.get(merchant=merchant)
    assert response.status_code == 302
    assert response["Location"] == f"/counter/receipts/{receipt.pk}/?done=sale"
    assert (receipt.subtotal, receipt.redeemed_points, receipt.total, receipt.accrued_points) == (Decimal("1000.00"), 300, Decimal("700.00"), 35)
    assert receipt.cashier is not None and receipt.number.startswith("C-MAIN-")
    page = cashier.get(response["Location"])
    assert page.context["balance"].available == 35
    assert 'data-testid="new-balance">35<' in page.content.decode()


@pytest.mark.django_db
def test_counter_double_submit_commits_once(cashier, customer, merchant):
    key = open_sale_form(cashier, customer)
    first = commit(cashier, customer, key, amount="1000", redeem="max")
    second = commit(cashier, customer, key, amount="1000", redeem="max")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Receipt.objects.filter(merchant=merchant).count() == 1
    assert Entry.objects.filter(customer=customer, kind="redemption").count() == 1
    assert balance_get(merchant=merchant, customer=customer).available == 35


@pytest.mark.django_db
def test_counter_same_key_other_figures_refused(cashier, customer, merchant):
    key = open_sale_form(cashier, customer)
    commit(cashier, customer, key, amount="100")
    response = commit(cashier, customer, key, amount="900")
    assert response.status_code == 422
    assert "already submitted" in response.content.decode()
    assert response.context["idempotency_key"] != key
    assert Receipt.objects.filter(merchant=merchant).count() == 1


@pytest.mark.django_db
def test_counter_two_forms_two_sales(cashier, customer, merchant):
    commit(cashier, customer, open_sale_form(cashier, customer), amount="100")
    commit(cashier, customer, open_sale_form(cashier, customer), amount="100")
    assert Receipt.objects.filter(merchant=merchant).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields, field",
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "10.001"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": "100", "redeem": "lots"}, "redeem"),
        ({"amount": "100", "redeem": "-3"}, "redeem"),
        ({"amount": "100", "price_0": "5"}, "amount"),
        ({"item_0": "Milk", "qty_0": "1"}, "price_0"),
        ({"item_0": "Milk", "qty_0": "0", "price_0": "5"}, "qty_0"),
        ({"amount": "1000", "redeem": "301"}, "redeem"),
    ],
)
def test_counter_bad_sale_rerendered_with_errors_nothing_written(cashier, customer, merchant, fields, field):
    key = open_sale_form(cashier, customer)
    response = commit(cashier, customer, key, **fields)
    assert response.status_code == 422
    assert response.context["errors"].get(field), response.context["errors"]
    assert Receipt.objects.filter(merchant=merchant).count() == 0
    assert Entry.objects.filter(customer=customer).count() == 1  # only the welcome bonus


@pytest.mark.django_db
def test_counter_lines_sale(cashier, customer, merchant):
    key = open_sale_form(cashier, customer)
    response = commit(cashier, customer, key, item_0="Coffee", qty_0="2", price_0="150", item_2="Cake", price_2="300,50")
    assert response.status_code == 302
    receipt = Receipt.objects.get(merchant=merchant)
    lines = list(receipt.lines.order_by("position").values_list("sku", "quantity", "price"))
    assert lines == [("Coffee", Decimal("2.000"), Decimal("150.00")), ("Cake", Decimal("1.000"), Decimal("300.50"))]
    assert receipt.subtotal == Decimal("600.50")


# --- returns -----------------------------------------------------------------------------------

def ring_two_lines(cashier, customer):
    key = open_sale_form(cashier, customer)
    commit(cashier, customer, key, item_0="Shoes", price_0="600", item_1="Socks", price_1="400", redeem="max")
    return Receipt.objects.get(customer=customer)


@pytest.mark.django_db
def test_counter_returns_finds_receipt_by_number(cashier, customer):
    receipt = ring_two_lines(cashier, customer)
    response = cashier.get("/counter/returns/", {"number": f" {receipt.number} "})
    assert response["Location"] == f"/counter/receipts/{receipt.pk}/return/"
    response = cashier.get("/counter/returns/", {"number": "NOPE"})
    assert response.status_code == 200 and "No receipt" in response.content.decode()


@pytest.mark.django_db
def test_counter_return_one_line_shows_points_back(cashier, customer, merchant):
    receipt = ring_two_lines(cashier, customer)
    socks = receipt.lines.get(sku="Socks")
    key = cashier.get(f"/counter/receipts/{receipt.pk}/return/").context["idempotency_key"]
    data = {"idempotency_key": key, "action": "lines", f"qty_{socks.pk}": "1"}
    first = cashier.post(f"/counter/receipts/{receipt.pk}/return/", data)
    second = cashier.post(f"/counter/receipts/{receipt.pk}/return/", data)
    refund = Refund.objects.get(receipt=receipt)
    assert first["Location"] == second["Location"] == f"/counter/receipts/{receipt.pk}/?done=return&refund={refund.pk}"
    # 300 points split 180/120 over 600/400; accrual 5% of 700 = 35, 14 on socks (280 paid).
    assert (refund.points_returned, refund.points_reversed, refund.refunded_amount) == (120, 14, Decimal("280.00"))
    page = cashier.get(first["Location"])
    assert page.context["last_refund"] == refund
    assert page.context["balance"].available == 35 - 14 + 120
    assert 'data-testid="points-returned">+120<' in page.content.decode()


@pytest.mark.django_db
def test_counter_return_everything(cashier, customer):
    receipt = ring_two_lines(cashier, customer)
    response = cashier.post(f"/counter/receipts/{receipt.pk}/return/", {"idempotency_key": "r-all", "action": "all"})
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert receipt.fully_refunded is True
    assert cashier.get(f"/counter/receipts/{receipt.pk}/return/").context["nothing_left"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("quantity, expected", [("", "at least one line"), ("2", "At most 1 can be returned on this line"), ("x", "not a number")])
def test_counter_bad_return_rerendered_nothing_written(cashier, customer, quantity, expected):
    receipt = ring_two_lines(cashier, customer)
    socks = receipt.lines.get(sku="Socks")
    response = cashier.post(f"/counter/receipts/{receipt.pk}/return/", {"idempotency_key": "r1", "action": "lines", f"qty_{socks.pk}": quantity})
    assert response.status_code == 422
    assert expected in response.content.decode()
    assert Refund.objects.count() == 0
