"""The back-test: a promotion judged over the last N days of committed receipts, alone, limits ignored,
in a few queries whatever the number of receipts; the API endpoint."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Store
from loyalty.services import receipt_commit
from promotions.services import promotion_as_dict, promotion_create
from promotions.services.backtest import promotion_backtest
from tests.factories import customer_create, draft

pytestmark = pytest.mark.django_db


def buy(merchant, customer, *lines, days_ago=1, number):
    store = Store.objects.get(merchant=merchant, code="main")
    receipt, _ = receipt_commit(merchant=merchant, store=store, customer=customer,
                                draft=draft(*lines, purchased_at=timezone.now() - timedelta(days=days_ago)), number=number)
    return receipt


@pytest.fixture
def history(merchant):
    anna = customer_create(merchant)
    boris = customer_create(merchant)
    buy(merchant, anna, ("MILK-1", "2", "100.00"), ("BREAD", "1", "50.00"), number="R-1")
    buy(merchant, anna, ("MILK-1", "1", "100.00"), number="R-2", days_ago=3)
    buy(merchant, boris, ("BREAD", "1", "50.00"), number="R-3")
    buy(merchant, None, ("MILK-1", "1", "100.00"), number="R-4")
    buy(merchant, boris, ("MILK-1", "1", "100.00"), number="R-5", days_ago=200)  # outside 90 days
    return anna, boris


def test_backtest_counts_touched_receipts_customers_and_discount(merchant, history):
    promotion = promotion_create(merchant=merchant, data={
        "code": "milk", "name": "Milk -10%", "target": {"skus": ["MILK-1"], "categories": []},
        "conditions": {"skus": ["MILK-1"]}, "effects": [{"type": "percent_off", "value": "10"}],
        "limits": {"total_uses": 1}, "starts_at": "2099-01-01T00:00:00+00:00"})
    result = promotion_backtest(promotion_dict=promotion_as_dict(promotion), merchant=merchant, days=90, now=timezone.now())
    # hold milk; limits and the fixed interval are set aside.
    assert result["receipts"] == 3 and result["customers"] == 1
    assert Decimal(result["discount"]) == Decimal("40.00")
    assert Decimal(result["revenue"]) == Decimal("450.00")
    assert result["extra_points"] == 0
    assert set(result) == {"from", "to", "receipts", "customers", "discount", "extra_points", "revenue"}


def test_backtest_points_and_audience(merchant, history):
    data = {"code": "double", "name": "Double", "effects": [{"type": "extra_points", "value": "25"}], "audience": {"customers": [str(history[0].pk)]}}
    result = promotion_backtest(promotion_dict=data, merchant=merchant, days=90, now=timezone.now())
    assert result["receipts"] == 2 and result["customers"] == 1 and result["extra_points"] == 50
    assert result["discount"] == "0.00"


def test_backtest_reads_do_not_grow_with_receipts(merchant, history):
    data = {"code": "milk2", "name": "Milk", "effects": [{"type": "percent_off", "value": "10"}]}
    with CaptureQueriesContext(connection) as few:
        promotion_backtest(promotion_dict=data, merchant=merchant, days=90, now=timezone.now())
    anna = history[0]
    for index in range(10):
        buy(merchant, customer_create(merchant), ("MILK-1", "1", "10.00"), number=f"X-{index}")
        buy(merchant, anna, ("MILK-1", "1", "10.00"), number=f"Y-{index}")
    with CaptureQueriesContext(connection) as many:
        result = promotion_backtest(promotion_dict=data, merchant=merchant, days=90, now=timezone.now())
    assert result["receipts"] == 24
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_backtest_bad_days_and_bad_promotion(merchant):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        promotion_backtest(promotion_dict={"code": "x", "name": "x", "effects": []}, merchant=merchant, days=0, now=timezone.now())
    assert "days" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        promotion_backtest(promotion_dict={"code": "x", "name": "x", "effects": [{"type": "percent_off", "value": "120"}]},
                           merchant=merchant, days=30, now=timezone.now())
    assert any(key.startswith("effects") for key in error.value.message_dict)


def test_backtest_api(merchant, admin_client, pos_client, history):
    promotion_create(merchant=merchant, data={"code": "milk", "name": "Milk", "target": {"skus": ["MILK-1"], "categories": []},
                                              "effects": [{"type": "percent_off", "value": "10"}]})
    response = admin_client.post("/api/v1/promotions/milk/backtest", {"days": 90}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["receipts"] == 3 and response.json()["discount"] == "40.00"
    assert admin_client.post("/api/v1/promotions/milk/backtest", {"days": "x"}, format="json").status_code == 400
    assert admin_client.post("/api/v1/promotions/milk/backtest", {"weeks": 2}, format="json").status_code == 400
    assert admin_client.post("/api/v1/promotions/nope/backtest", {"days": 9}, format="json").status_code == 404
    assert pos_client.post("/api/v1/promotions/milk/backtest", {"days": 9}, format="json").status_code == 403
