"""Families over the API: one balance for all members, entries naming the member, redeem rights,
joining and leaving, and two members committing at once on PostgreSQL."""
import pytest

from loyalty.models import Entry
from loyalty.selectors import balance_get
from referrals.models import FamilyMember
from tests.factories import MerchantFactory, api_key, assert_ledger_consistent, ledger_totals, client_for, customer_create, row_counts
from tests.test_concurrency import client_with, run_at_once

LINE = {"sku": "BREAD", "name": "Bread", "quantity": "1", "price": "1000.00"}


def assert_own_ledger_adds_up(customer) -> None:
    """A member's own account (the read shows the family's): entries = lot remainders - debt."""
    totals = ledger_totals(customer)
    assert totals["entries"] == totals["lots_less_debt"], totals


def commit(client, customer, number, **extra):
    return client.post("/api/v1/receipts", {"customer": str(customer.pk), "number": number, "lines": [LINE], **extra}, format="json")


@pytest.mark.django_db
class TestFamily:
    @pytest.fixture
    def owner(self, merchant):
        return customer_create(merchant, name="Olga", phone="+79995550012")

    @pytest.fixture
    def masha(self, merchant, owner, pos_client):
        masha = customer_create(merchant, name="Masha", phone="+79995550045")
        response = pos_client.post(f"/api/v1/customers/{owner.pk}/family", {"phone": "+7 999 555-00-45", "can_redeem": True}, format="json")
        assert response.status_code == 201
        return masha

    def test_joining_moves_the_members_points_into_the_family_balance(self, pos_client, owner, masha):
        assert balance_get(merchant=owner.merchant, customer=owner).available == 600
        out = Entry.objects.get(customer=masha, kind="family")
        into = Entry.objects.get(customer=owner, kind="family")
        assert (out.points, into.points) == (-300, 300)
        assert out.description == "Moved to the family balance of Olga ••12 on joining the family"
        assert into.description == "Masha ••45 joined the family and brought their points"
        read = pos_client.get(f"/api/v1/customers/{masha.pk}").json()
        assert read["balance"] == {"available": 600, "pending": 0}
        assert read["family"] == {"owner": str(owner.pk), "role": "member"}
        assert pos_client.get(f"/api/v1/customers/{owner.pk}").json()["family"] == {"owner": str(owner.pk), "role": "owner"}
        family = pos_client.get(f"/api/v1/customers/{owner.pk}/family").json()
        assert family["owner"] == str(owner.pk)
        assert family["members"] == [{"id": str(masha.pk), "name": "Masha", "phone": "+79995550045", "can_redeem": True}]
        assert_ledger_consistent(owner)
        assert_own_ledger_adds_up(masha)

    def test_members_purchases_accrue_to_the_family_with_entries_naming_the_member(self, pos_client, owner, masha):
        body = commit(pos_client, masha, "M-1", redeem_points=100).json()
        assert body["accrued_points"] == 45 and body["balance"] == {"available": 600 - 100 + 45, "pending": 0}
        spent = Entry.objects.get(customer=owner, kind="redemption")
        earned = Entry.objects.get(customer=owner, kind="accrual")
        assert spent.description == "Paid with points by Masha ••45 for receipt M-1"
        assert earned.description == "Points for Masha ••45's purchase, receipt M-1"
        assert not Entry.objects.filter(customer=masha, kind__in=["accrual", "redemption"]).exists()
        assert_ledger_consistent(owner)

    def test_a_member_without_can_redeem_gets_422_and_nothing_is_written(self, merchant, pos_client, owner):
        kid = customer_create(merchant, name="Kid")
        pos_client.post(f"/api/v1/customers/{owner.pk}/family", {"phone": kid.phone}, format="json")
        before = row_counts()
        response = commit(pos_client, kid, "K-1", redeem_points=10)
        assert response.status_code == 422 and response.json()["code"] == "redeem_not_allowed"
        assert row_counts() == before
        assert commit(pos_client, kid, "K-1").status_code == 201  # buying without points still accrues to the family
        calc = pos_client.post("/api/v1/receipts/calculate", {"customer": str(kid.pk), "lines": [LINE]}, format="json").json()
        assert calc["max_redeem_points"] == 0

    def test_a_second_family_is_409(self, merchant, pos_client, owner, masha):
        other_owner = customer_create(merchant)
        before = row_counts()
        response = pos_client.post(f"/api/v1/customers/{other_owner.pk}/family", {"phone": masha.phone}, format="json")
        assert response.status_code == 409 and response.json()["code"] == "already_in_family"
        # The owner cannot join another family, and a member cannot start one.
        assert pos_client.post(f"/api/v1/customers/{other_owner.pk}/family", {"phone": owner.phone}, format="json").status_code == 409
        assert pos_client.post(f"/api/v1/customers/{masha.pk}/family", {"phone": other_owner.phone}, format="json").status_code == 409
        assert row_counts() == before

    def test_a_new_phone_is_registered_on_the_spot(self, merchant, pos_client, owner):
        response = pos_client.post(f"/api/v1/customers/{owner.pk}/family", {"phone": "+79995550099", "name": "Petya"}, format="json")
        assert response.status_code == 201
        assert [m["name"] for m in response.json()["members"]] == ["Petya"]
        assert response.json()["balance"]["available"] == 600  # Petya's welcome bonus moved in

    def test_leaving_keeps_the_points_in_the_family_and_the_member_starts_from_zero(self, pos_client, owner, masha):
        commit(pos_client, masha, "M-2")
        assert pos_client.delete(f"/api/v1/customers/{owner.pk}/family/{masha.pk}").status_code == 204
        assert pos_client.get(f"/api/v1/customers/{masha.pk}").json()["balance"]["available"] == 0
        assert pos_client.get(f"/api/v1/customers/{masha.pk}").json()["family"] is None
        assert balance_get(merchant=owner.merchant, customer=owner).available == 650
        assert pos_client.delete(f"/api/v1/customers/{owner.pk}/family/{masha.pk}").status_code == 404
        # A return of the receipt bought in the family takes the points from the family balance.
        receipt = Entry.objects.get(customer=owner, kind="accrual").receipt
        assert pos_client.post(f"/api/v1/receipts/{receipt.pk}/refund", {}, format="json").status_code == 200
        assert balance_get(merchant=owner.merchant, customer=owner).available == 600
        assert_ledger_consistent(owner)
        assert_ledger_consistent(masha)

    def test_bad_input_and_tenancy(self, merchant, pos_client, owner):
        assert "phone" in pos_client.post(f"/api/v1/customers/{owner.pk}/family", {"phone": "abc"}, format="json").json()["fields"]
        assert "phone" in pos_client.post(f"/api/v1/customers/{owner.pk}/family", {"phone": owner.phone}, format="json").json()["fields"]
        assert "can_redeem" in pos_client.post(f"/api/v1/customers/{owner.pk}/family", {"phone": "+79995550077", "can_redeem": "y"},
                                               format="json").json()["fields"]
        other = MerchantFactory()
        stranger = customer_create(other)
        assert pos_client.get(f"/api/v1/customers/{stranger.pk}/family").status_code == 404
        assert pos_client.post(f"/api/v1/customers/{stranger.pk}/family", {"phone": owner.phone}, format="json").status_code == 404
        other_pos = client_for(other)
        assert other_pos.get(f"/api/v1/customers/{owner.pk}/family").status_code == 404

    def test_family_birthdays_on_the_profile(self, pos_client, owner):
        response = pos_client.patch(f"/api/v1/customers/{owner.pk}", {"family_birthdays": [{"name": "Masha", "date": "2016-03-08"}]},
                                    format="json")
        assert response.status_code == 200
        assert response.json()["family_birthdays"] == [{"name": "Masha", "date": "2016-03-08"}]
        bad = pos_client.patch(f"/api/v1/customers/{owner.pk}", {"family_birthdays": [{"name": "X", "date": "soon"}]}, format="json")
        assert bad.status_code == 400 and "family_birthdays[0].date" in bad.json()["fields"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_committing_at_once_share_one_balance_and_the_ledger_adds_up():
    merchant = MerchantFactory()
    owner = customer_create(merchant, name="Olga")
    members = [customer_create(merchant, name=f"M{i}") for i in range(2)]
    _key, secret = api_key(merchant)
    for member in members:
        assert client_with(secret).post(f"/api/v1/customers/{owner.pk}/family", {"phone": member.phone, "can_redeem": True},
                                        format="json").status_code == 201
    assert balance_get(merchant=merchant, customer=owner).available == 900

    def buy(i):
        member = members[i % 2]
        response = commit(client_with(secret), member, f"P{i}", redeem_points=200)
        return response.status_code

    results = run_at_once(10, buy)
    # Each commit spends 200 of the one balance and accrues 40 (5 % of 800) back to it: serialised, the
    # balance goes 900, 740, 580, 420, 260, 100, so exactly five commits fit and the rest are refused.
    assert sorted(results) == [201] * 5 + [422] * 5, results
    assert balance_get(merchant=merchant, customer=owner).available == 100
    assert FamilyMember.objects.filter(family__owner=owner).count() == 2
    assert_ledger_consistent(owner)
    for member in members:
        assert_own_ledger_adds_up(member)
