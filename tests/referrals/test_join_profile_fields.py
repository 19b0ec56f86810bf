"""`POST /api/v1/customers` takes the profile fields the apps add to the customer PATCH (family_birthdays,
agent_percent with an admin key), written in the join's transaction: a bad one creates nobody."""
import pytest

from accounts.models import Customer
from referrals.models import FamilyBirthday

pytestmark = pytest.mark.django_db


def test_joining_with_family_birthdays(pos_client, merchant):
    response = pos_client.post("/api/v1/customers", {"phone": "+79991234567", "name": "Olga", "family_birthdays": [
        {"name": "Masha", "date": "2016-03-08"}, {"name": "Petya", "date": "2019-07-01"}]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert sorted(body["family_birthdays"], key=lambda item: item["name"]) == [
        {"name": "Masha", "date": "2016-03-08"}, {"name": "Petya", "date": "2019-07-01"}]
    assert pos_client.get(f"/api/v1/customers/{body['id']}").json()["family_birthdays"] == body["family_birthdays"]
    assert FamilyBirthday.objects.filter(merchant=merchant, customer_id=body["id"]).count() == 2


@pytest.mark.parametrize(("body", "field"), [
    ({"family_birthdays": [{"name": "Masha", "date": "soon"}]}, "family_birthdays[0].date"),
    ({"family_birthdays": "Masha"}, "family_birthdays"),
    ({"family": []}, "family"),
])
def test_a_bad_profile_field_creates_nobody(pos_client, merchant, body, field):
    response = pos_client.post("/api/v1/customers", {"phone": "+79991234567", **body}, format="json")
    assert response.status_code == 400 and field in response.json()["fields"], response.content
    assert not Customer.objects.filter(merchant=merchant).exists()
    assert not FamilyBirthday.objects.exists()


def test_agent_percent_on_joining_needs_an_admin_key(pos_client, merchant):
    response = pos_client.post("/api/v1/customers", {"phone": "+79991234567", "agent_percent": "5"}, format="json")
    assert response.status_code == 403
    assert not Customer.objects.filter(merchant=merchant).exists()
