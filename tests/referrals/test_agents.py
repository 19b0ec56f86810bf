"""Agents over the API: the agent's percent, the client's split, the checkout, returns."""
import pytest

from loyalty.models import Entry
from referrals.models import Agent, AgentClient
from tests.factories import MerchantFactory, assert_ledger_consistent, client_for, customer_create, row_counts

pytestmark = pytest.mark.django_db

LINE = {"sku": "SOFA", "name": "Sofa", "quantity": "2", "price": "500.00"}


@pytest.fixture
def irina(merchant, admin_client):
    agent = customer_create(merchant, name="Irina", phone="+79990000045")
    response = admin_client.patch(f"/api/v1/customers/{agent.pk}", {"agent_percent": "15.00"}, format="json")
    assert response.status_code == 200
    assert response.json()["agent_percent"] == "15.00"
    return agent


@pytest.fixture
def artem(merchant):
    return customer_create(merchant, name="Artem", phone="+79990000067")


def tie(admin_client, client, agent, **split):
    return admin_client.put(f"/api/v1/customers/{client.pk}/agent", {"agent": str(agent.pk), **split}, format="json")


def test_split_gives_the_client_a_discount_and_the_agent_points_on_the_money_paid(merchant, admin_client, pos_client, irina, artem):
    response = tie(admin_client, artem, irina, client_discount_percent="10.00", agent_points_percent="5.00")
    assert response.status_code == 200
    assert response.json()["client_discount_percent"] == "10.00" and response.json()["agent_name"] == "Irina ••45"
    read = pos_client.get(f"/api/v1/customers/{artem.pk}").json()
    assert read["agent"] == {"id": str(irina.pk), "name": "Irina ••45", "client_discount_percent": "10.00", "agent_points_percent": "5.00"}

    body = pos_client.post("/api/v1/receipts", {"customer": str(artem.pk), "number": "A-1001", "lines": [LINE]}, format="json").json()
    assert body["discount"] == "100.00" and body["total"] == "900.00"
    assert body["accrued_points"] == 45  # Artem's own 5 % of 900.00
    kinds = {item["kind"]: item for item in body["applied"]}
    assert kinds["agent_discount"]["amount"] == "100.00"
    assert kinds["agent_reward"]["points"] == 45 and kinds["agent_reward"]["beneficiary"] == "Irina ••45"
    entry = Entry.objects.get(customer=irina, kind="agent")
    assert entry.points == 45
    assert entry.description == "Agent reward for Artem ••67's purchase, receipt A-1001"
    assert "+79990000067" not in entry.description
    assert pos_client.get(f"/api/v1/customers/{irina.pk}").json()["balance"]["available"] == 300 + 45
    assert_ledger_consistent(irina)
    assert_ledger_consistent(artem)


def test_without_a_split_the_agent_earns_the_whole_percent(merchant, admin_client, pos_client, irina, artem):
    assert tie(admin_client, artem, irina).status_code == 200
    body = pos_client.post("/api/v1/receipts", {"customer": str(artem.pk), "number": "A-1", "lines": [LINE]}, format="json").json()
    assert body["discount"] == "0.00"
    assert [item["points"] for item in body["applied"] if item["kind"] == "agent_reward"] == [150]


def test_a_split_over_the_agents_percent_is_400_and_writes_nothing(admin_client, irina, artem):
    before = row_counts()
    response = tie(admin_client, artem, irina, client_discount_percent="10.00", agent_points_percent="6.00")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"client_discount_percent", "agent_points_percent"}
    assert row_counts() == before and AgentClient.objects.count() == 0


def test_tie_refusals_name_the_field(admin_client, merchant, irina, artem):
    stranger = customer_create(merchant)
    assert "agent" in tie(admin_client, artem, stranger).json()["fields"]  # not an agent
    assert "agent" in tie(admin_client, irina, irina).json()["fields"]  # own client
    assert "client_discount_percent" in tie(admin_client, artem, irina, client_discount_percent="abc").json()["fields"]
    response = admin_client.put(f"/api/v1/customers/{artem.pk}/agent", {"agent": "nope"}, format="json")
    assert response.status_code == 400 and "agent" in response.json()["fields"]


def test_lowering_the_percent_below_a_split_is_refused_and_null_ends_the_agency(admin_client, irina, artem):
    tie(admin_client, artem, irina, client_discount_percent="10.00", agent_points_percent="5.00")
    response = admin_client.patch(f"/api/v1/customers/{irina.pk}", {"agent_percent": "12.00"}, format="json")
    assert response.status_code == 400 and "agent_percent" in response.json()["fields"]
    assert Agent.objects.get(customer=irina).percent == 15
    assert admin_client.patch(f"/api/v1/customers/{irina.pk}", {"agent_percent": None}, format="json").json()["agent_percent"] is None
    assert AgentClient.objects.count() == 0


def test_a_return_takes_the_agents_points_back_in_proportion(merchant, admin_client, pos_client, irina, artem):
    tie(admin_client, artem, irina, client_discount_percent="10.00", agent_points_percent="5.00")
    receipt = pos_client.post("/api/v1/receipts", {"customer": str(artem.pk), "number": "A-2", "lines": [LINE]}, format="json").json()
    half = pos_client.post(f"/api/v1/receipts/{receipt['id']}/refund", {"lines": [{"sku": "SOFA", "quantity": "1"}]}, format="json")
    assert half.status_code == 200
    assert sum(Entry.objects.filter(customer=irina, kind="agent").values_list("points", flat=True)) == 45 - 22
    back = Entry.objects.get(customer=irina, kind="agent", points__lt=0)
    assert back.description == "Agent reward taken back: Artem ••67 returned items from receipt A-2"
    pos_client.post(f"/api/v1/receipts/{receipt['id']}/refund", {}, format="json")
    assert sum(Entry.objects.filter(customer=irina, kind="agent").values_list("points", flat=True)) == 0
    assert_ledger_consistent(irina)


def test_untie_and_admin_only(merchant, admin_client, pos_client, irina, artem):
    tie(admin_client, artem, irina)
    assert pos_client.put(f"/api/v1/customers/{artem.pk}/agent", {"agent": str(irina.pk)}, format="json").status_code == 403
    assert pos_client.patch(f"/api/v1/customers/{irina.pk}", {"agent_percent": "20.00"}, format="json").status_code == 403
    assert pos_client.delete(f"/api/v1/customers/{artem.pk}/agent").status_code == 403
    assert admin_client.delete(f"/api/v1/customers/{artem.pk}/agent").status_code == 204
    assert admin_client.delete(f"/api/v1/customers/{artem.pk}/agent").status_code == 404
    body = pos_client.post("/api/v1/receipts", {"customer": str(artem.pk), "number": "A-3", "lines": [LINE]}, format="json").json()
    assert not [item for item in body["applied"] if item["kind"].startswith("agent")]


def test_another_merchants_agent_or_client_is_not_found(merchant, admin_client, irina, artem):
    other = MerchantFactory()
    other_admin = client_for(other, scope="admin")
    assert other_admin.put(f"/api/v1/customers/{artem.pk}/agent", {"agent": str(irina.pk)}, format="json").status_code == 404
    assert other_admin.patch(f"/api/v1/customers/{irina.pk}", {"agent_percent": "5.00"}, format="json").status_code == 404
    stranger = customer_create(other)
    response = admin_client.put(f"/api/v1/customers/{artem.pk}/agent", {"agent": str(stranger.pk)}, format="json")
    assert response.status_code == 400 and "agent" in response.json()["fields"]
