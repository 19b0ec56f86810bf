"""The POS commit path kept lean: a fixed number of SQL statements whatever the lines or promotions,
the new balance computed rather than re-read, the API spared the screens' middleware."""
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loyalty.models import Lot, Receipt
from loyalty.selectors import balance_get
from loyalty.services import points_adjust, receipt_commit, receipt_refund
from loyalty.services.ledger import balance_journal, live_lots_read, points_earn
from promotions.services import promotion_create
from tests.factories import MembershipFactory, client_for, customer_create, draft, program_set

pytestmark = pytest.mark.django_db

LINE = {"sku": "MILK-1", "name": "Milk", "category": "dairy", "quantity": "1", "price": "100.00"}


def commit_body(customer, *, lines=1, redeem=10, number=None):
    return {"customer": str(customer.pk), "number": number or uuid.uuid4().hex[:12], "redeem_points": redeem,
            "lines": [dict(LINE, sku=f"SKU-{i}") for i in range(lines)]}


def statements_of(client, body) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/api/v1/receipts", body, format="json", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert response.status_code == 201, response.content
    # The test runs inside a transaction: the request's own transaction is a savepoint here (2 statements).
    return len([q for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))])


def test_commit_statements_do_not_grow_with_lines_or_promotions(merchant, pos_client):
    customer = customer_create(merchant)
    pos_client.post("/api/v1/receipts", commit_body(customer), format="json")  # the key's last use is recorded once a minute
    one_line = statements_of(pos_client, commit_body(customer, lines=1))
    twenty_lines = statements_of(pos_client, commit_body(customer, lines=20))
    assert twenty_lines == one_line
    counts = []
    for batch in (range(0, 3), range(3, 15)):
        for i in batch:
            promotion_create(merchant=merchant, data={"code": f"p{i}", "name": f"P{i}",
                                                      "effects": [{"type": "extra_points_percent", "value": "1"}]})
        statements_of(pos_client, commit_body(customer, lines=20))  # the promotions are compiled once per process
        counts.append(statements_of(pos_client, commit_body(customer, lines=20)))
    # Every promotion applies to every line: 3 or 15 of them, their rows are read, their counters
    # moved and their uses written in one statement each.
    assert counts[0] == counts[1] <= one_line + 3
    # With every app plugged in: the key, the customer, the account lock, the lots; promotions'
    # version, offers and gifts; the family and the agent of the customer; the badges to award;
    # the receipt, its lines, the lot spent, the lot and the entries written.
    assert one_line <= 17


def test_the_committed_balance_is_the_one_a_read_finds(merchant, pos_client):
    program_set(merchant, pending_days=0)
    customer = customer_create(merchant)
    response = pos_client.post("/api/v1/receipts", commit_body(customer, redeem=50), format="json")
    assert response.status_code == 201
    assert response.json()["balance"] == balance_get(merchant=merchant, customer=customer).as_dict()


def test_the_committed_balance_counts_pending_points_expired_lots_and_debt(merchant):
    program_set(merchant, pending_days=14)
    store = merchant.stores.get(code="main")
    customer = customer_create(merchant)
    now = timezone.now()
    # A lot past its expiry that the job has not expired yet still counts in the recorded balance.
    Lot.objects.filter(customer=customer).update(expires_at=now - timedelta(hours=1))
    first, _ = receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft(("A", "1", "1000.00")), number="R-1", now=now)
    assert first.balance == balance_get(merchant=merchant, customer=customer)
    assert first.balance.pending > 0
    # A full return of a receipt whose points were spent leaves debt; the next accrual repays it.
    program_set(merchant, pending_days=0)
    points_adjust(customer=customer, points=500, reason="goodwill", staff=None, now=now)
    second, _ = receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft(("A", "1", "1000.00")), number="R-2", now=now)
    points_adjust(customer=customer, points=-(balance_get(merchant=merchant, customer=customer).available - 300), reason="spent", staff=None,
                  now=now)
    receipt_refund(receipt=Receipt.objects.get(pk=second.pk), data={}, now=now)
    third, _ = receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft(("A", "1", "5000.00"), redeem=0), number="R-3",
                              now=now)
    assert third.balance == balance_get(merchant=merchant, customer=customer)


def test_an_untracked_write_inside_a_commit_falls_back_to_a_read(merchant):
    customer = customer_create(merchant)
    with balance_journal() as journal:
        points_earn(customer=customer, kind="bonus", points=7, ttl_days=None)
        assert journal.of(customer.pk)["available"] == 7
        journal.unknown(customer.pk)
        assert journal.of(customer.pk)["unknown"] is True


def test_live_lots_read_splits_spendable_from_pending_and_expired(merchant):
    program_set(merchant, pending_days=0)
    customer = customer_create(merchant)
    now = timezone.now()
    live = live_lots_read(customer=customer, now=now)
    assert [lot.remaining for lot in live.spendable] == [live.active] and live.pending == 0
    Lot.objects.filter(customer=customer).update(expires_at=now - timedelta(minutes=1))
    live = live_lots_read(customer=customer, now=now)
    assert live.spendable == [] and live.active > 0


def test_the_api_skips_the_screens_middleware_and_keeps_its_headers(merchant, pos_client):
    customer = customer_create(merchant)
    response = pos_client.get(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert "script-src 'self'" in response.get("Content-Security-Policy", "")
    assert response.get("X-Frame-Options")
    # The screens still have their session, sign-in and CSRF.
    from django.test import Client

    screens = Client(enforce_csrf_checks=True)
    screens.force_login(MembershipFactory(merchant=merchant).user)
    assert screens.get("/office/").status_code == 200
    assert screens.post("/office/program/", {}).status_code == 403


def test_a_commit_without_a_store_goes_to_main_and_a_store_bound_key_to_its_own(merchant):
    from tests.factories import StoreFactory

    customer = customer_create(merchant)
    north = StoreFactory(merchant=merchant, code="north")
    body = commit_body(customer, redeem=0)
    assert client_for(merchant).post("/api/v1/receipts", body, format="json").status_code == 201
    assert Receipt.objects.get(number=body["number"]).store.code == "main"
    body = commit_body(customer, redeem=0)
    assert client_for(merchant, store=north).post("/api/v1/receipts", body, format="json").status_code == 201
    assert Receipt.objects.get(number=body["number"]).store.code == "north"


def test_entries_gathered_by_the_ledger_are_written_together(merchant):
    from loyalty.models import Entry
    from loyalty.services.ledger import account_lock, entries_write, points_credit, points_debit

    customer = customer_create(merchant)
    now = timezone.now()
    before = Entry.objects.filter(customer=customer).count()
    entries = []
    account = account_lock(customer=customer)
    points_debit(customer=customer, points=5, kind="redemption", now=now, entries=entries)
    points_credit(customer=customer, account=account, kind="accrual", points=3, at=now, ttl_days=None, entries=entries)
    assert Entry.objects.filter(customer=customer).count() == before and len(entries) == 2
    with CaptureQueriesContext(connection) as captured:
        written = entries_write(entries)
    assert len(captured.captured_queries) == 1 and all(entry.pk for entry in written)
    assert sorted(Entry.objects.filter(customer=customer).values_list("points", flat=True))[:1] == [-5]
    assert balance_get(merchant=merchant, customer=customer).available == 300 - 5 + 3


def test_a_customer_read_at_the_top_tier_does_not_look_for_a_next_one(merchant, pos_client):
    customer = customer_create(merchant)
    pos_client.get(f"/api/v1/customers/{customer.pk}")
    with CaptureQueriesContext(connection) as captured:
        body = pos_client.get(f"/api/v1/customers/{customer.pk}").json()
    assert body["tier_progress"]["next"] is None
    assert not [q for q in captured.captured_queries if q["sql"].startswith('SELECT "loyalty_tier"')]
    from loyalty.services.tiers import tier_create

    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "1000.00"}})
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["tier_progress"]["next"]["code"] == "gold"
