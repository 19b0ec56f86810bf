"""The account holder and customer field registries of loyalty.extensions, with a stand-in app."""
import pytest

from accounts.errors import ValidationError
from loyalty.extensions import (AccountHolder, CustomerField, account_holder_register, account_holder_unregister,
                                customer_field_register, customer_field_unregister)
from loyalty.models import Entry
from loyalty.selectors import balance_get
from tests.factories import assert_ledger_consistent, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(merchant):
    holder, user = customer_create(merchant, name="Holder"), customer_create(merchant, name="User")
    account_holder_register("test", lambda customer: AccountHolder(customer=holder, may_redeem=False) if customer.pk == user.pk else None)
    yield holder, user
    account_holder_unregister("test")


def test_a_customer_using_another_account_accrues_to_it_and_reads_its_balance(pos_client, shared):
    holder, user = shared
    body = pos_client.post("/api/v1/receipts", {"customer": str(user.pk), "number": "S-1",
                                                "lines": [{"sku": "X", "quantity": "1", "price": "100.00"}]}, format="json").json()
    assert body["accrued_points"] == 5 and body["balance"] == {"available": 305, "pending": 0}
    assert Entry.objects.get(customer=holder, kind="accrual").description == "Points for User ••" + user.phone[-2:] + "'s purchase, receipt S-1"
    assert balance_get(merchant=user.merchant, customer=user).available == 305
    assert_ledger_consistent(holder)


def test_may_redeem_false_refuses_points_with_redeem_not_allowed(pos_client, shared):
    _holder, user = shared
    response = pos_client.post("/api/v1/receipts", {"customer": str(user.pk), "number": "S-2", "redeem_points": 1,
                                                    "lines": [{"sku": "X", "quantity": "1", "price": "100.00"}]}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "redeem_not_allowed"


def test_a_registered_customer_field_is_patched_and_an_unknown_one_is_400(merchant, pos_client, admin_client):
    seen = {}

    def apply(*, merchant, customer, value):
        if not isinstance(value, str):
            raise ValidationError({"nickname": ["Send text."]})
        seen[customer.pk] = value

    customer_field_register(CustomerField("nickname", apply))
    customer_field_register(CustomerField("secret", apply, admin=True))
    try:
        customer = customer_create(merchant)
        assert pos_client.patch(f"/api/v1/customers/{customer.pk}", {"nickname": "Tema"}, format="json").status_code == 200
        assert seen == {customer.pk: "Tema"}
        assert pos_client.patch(f"/api/v1/customers/{customer.pk}", {"nickname": 5}, format="json").status_code == 400
        assert pos_client.patch(f"/api/v1/customers/{customer.pk}", {"colour": "red"}, format="json").json()["fields"] == {"colour": ["Unknown field."]}
        assert pos_client.patch(f"/api/v1/customers/{customer.pk}", {"secret": "x"}, format="json").status_code == 403
        assert admin_client.patch(f"/api/v1/customers/{customer.pk}", {"secret": "x"}, format="json").status_code == 200
    finally:
        customer_field_unregister("nickname")
        customer_field_unregister("secret")
