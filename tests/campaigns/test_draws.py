"""Prize draws: the commitment before, the seed and winners after, recomputable by anyone; prizes credited once."""
import csv
import hashlib
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Draw, Segment
from campaigns.services.draws import draws_run_due
from loyalty.models import Entry
from tests.factories import MerchantFactory, assert_ledger_consistent, customer_create, program_set

pytestmark = pytest.mark.django_db
WOMEN = {"all": [{"field": "gender", "op": "eq", "value": "f"}]}


@pytest.fixture
def members(merchant):
    program_set(merchant, welcome_bonus=0)
    Segment.objects.create(merchant=merchant, code="women", name="Women", rules=WOMEN)
    women = [customer_create(merchant, gender="f") for _index in range(8)]
    customer_create(merchant, gender="m")
    return women


def create(admin_client, **fields):
    body = {"code": "winter", "name": "Winter draw", "segment": "women", "winners": 3, "prize": {"points": 1000, "ttl_days": 30},
            "draw_at": (timezone.now() + timedelta(days=7)).isoformat(), **fields}
    response = admin_client.post("/api/v1/draws", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_commitment_before_and_anyone_can_recompute_the_winners(admin_client, members):
    created = create(admin_client)
    assert len(created["commitment"]) == 64 and created["seed"] is None and created["status"] == "scheduled"
    assert admin_client.get("/api/v1/draws/winter").json()["seed"] is None
    assert admin_client.get("/api/v1/draws/winter/participants").status_code == 404

    result = admin_client.post("/api/v1/draws/winter/run").json()
    assert result["participants"] == 8 and len(result["winners"]) == 3
    # The seed matches the commitment published before.
    assert hashlib.sha256(result["seed"].encode()).hexdigest() == created["commitment"]
    # Recompute from the published seed and list, by hand.
    exported = admin_client.get("/api/v1/draws/winter/participants")
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert {row["customer_id"] for row in rows} == {str(customer.pk) for customer in members}
    ranked = sorted(rows, key=lambda row: hashlib.sha256(f"{result['seed']}:{row['customer_id']}".encode()).hexdigest())
    assert [row["customer_id"] for row in ranked[:3]] == result["winners"]
    # Prizes credited once, even when run again.
    again = admin_client.post("/api/v1/draws/winter/run").json()
    assert again == result
    prizes = Entry.objects.filter(kind="bonus", points=1000)
    assert sorted(str(entry.customer_id) for entry in prizes) == sorted(result["winners"])
    for entry in prizes:
        assert "Winter draw" in entry.description
        assert_ledger_consistent(entry.customer)


def test_the_job_runs_due_draws_once(admin_client, members):
    create(admin_client, draw_at=(timezone.now() + timedelta(hours=1)).isoformat(), winners=2)
    assert draws_run_due(now=timezone.now()) == 0
    assert draws_run_due(now=timezone.now() + timedelta(hours=2)) == 1
    assert draws_run_due(now=timezone.now() + timedelta(hours=3)) == 0
    assert Draw.objects.get().status == "done"
    assert Entry.objects.filter(kind="bonus").count() == 2


def test_gift_prize(admin_client, members):
    from promotions.models import Gift

    create(admin_client, prize={"gift": {"name": "Sledge", "sku": "SLEDGE-1"}}, winners=1)
    result = admin_client.post("/api/v1/draws/winter/run").json()
    assert [str(gift.customer_id) for gift in Gift.objects.all()] == result["winners"]


@pytest.mark.parametrize(("fields", "bad"), [
    ({"segment": "nope"}, "segment"), ({"winners": 0}, "winners"), ({"prize": {"points": -5}}, "prize.points"),
    ({"prize": {}}, "prize"), ({"prize": {"gift": {"sku": "X"}}}, "prize.gift.name"), ({"draw_at": "tomorrow"}, "draw_at"),
    ({"code": "bad code"}, "code"),
])
def test_bad_draw_is_400(admin_client, members, fields, bad):
    body = {"code": "winter", "name": "Winter draw", "segment": "women", "winners": 3, "prize": {"points": 1000},
            "draw_at": timezone.now().isoformat(), **fields}
    response = admin_client.post("/api/v1/draws", body, format="json")
    assert response.status_code == 400 and bad in response.json()["fields"], response.json()
    assert not Draw.objects.exists()


def test_tenancy_and_pos_key(admin_client, pos_client, members):
    other = MerchantFactory()
    Draw.objects.create(merchant=other, code="theirs", name="Theirs", winners=1, prize={"points": 1}, draw_at=timezone.now(),
                        seed="s", commitment="c")
    assert admin_client.get("/api/v1/draws/theirs").status_code == 404
    assert admin_client.post("/api/v1/draws/theirs/run").status_code == 404
    assert admin_client.get("/api/v1/draws").json() == []
    assert pos_client.get("/api/v1/draws").status_code == 403
    assert pos_client.post("/api/v1/draws/theirs/run").status_code == 403
