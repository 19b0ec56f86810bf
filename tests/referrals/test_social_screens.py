"""The back-office, counter and portal screens of agents, families and charity."""
import pytest
from django.test import Client

from loyalty.selectors import balance_get
from referrals.models import Agent, AgentClient, Donation, FamilyMember, Fund
from referrals.services import agents, families, funds
from tests.factories import MembershipFactory, MerchantFactory, customer_create

pytestmark = pytest.mark.django_db


def staff_client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def portal_client(merchant, customer) -> Client:
    client = Client()
    session = client.session
    session["portal"] = {merchant.slug: str(customer.pk)}
    session.save()
    return client


@pytest.fixture
def world(merchant):
    agent = customer_create(merchant, name="Irina", phone="+79990001145")
    client = customer_create(merchant, name="Artem", phone="+79990001167")
    owner = customer_create(merchant, name="Olga", phone="+79990001112")
    agents.agent_percent_set(merchant=merchant, customer=agent, value="15.00")
    agents.agent_tie(merchant=merchant, client=client, data={"agent": str(agent.pk), "client_discount_percent": "10.00"})
    families.family_member_add(owner=owner, phone=client.phone, can_redeem=False)
    funds.fund_create(merchant=merchant, data={"code": "shelter", "name": "City shelter"})
    return {"agent": agent, "client": client, "owner": owner}


def test_office_pages_for_owner_and_marketer_not_cashier(merchant, owner, marketer, cashier, world):
    urls = ["/office/funds/", "/office/funds/shelter/", "/office/agents/", f"/office/agents/{world['agent'].pk}/",
            f"/office/customers/{world['owner'].pk}/", f"/office/customers/{world['client'].pk}/"]
    for membership in (owner, marketer):
        browser = staff_client(membership)
        for url in urls:
            assert browser.get(url).status_code == 200, url
    assert all(staff_client(cashier).get(url).status_code == 403 for url in urls[:4])
    page = staff_client(owner).get(f"/office/customers/{world['client'].pk}/").content.decode()
    assert "Irina" in page and "Olga" in page


def test_office_split_editor_refuses_over_the_percent_and_saves_within_it(merchant, owner, world):
    browser = staff_client(owner)
    tie = AgentClient.objects.get(client=world["client"])
    url = f"/office/agents/{world['agent'].pk}/clients/{tie.pk}/split/"
    refused = browser.post(url, {f"t{tie.pk}-client_discount_percent": "10", f"t{tie.pk}-agent_points_percent": "6"})
    assert refused.status_code == 400 and "more than the agent" in refused.content.decode()
    assert browser.post(url, {f"t{tie.pk}-client_discount_percent": "5", f"t{tie.pk}-agent_points_percent": "10"}).status_code == 302
    tie.refresh_from_db()
    assert (tie.client_discount_percent, tie.agent_points_percent) == (5, 10)


def test_office_makes_an_agent_and_adds_a_fund_and_a_family_member(merchant, owner, world):
    browser = staff_client(owner)
    someone = customer_create(merchant)
    assert browser.post("/office/agents/", {"phone": someone.phone, "percent": "7.5"}).status_code == 302
    assert Agent.objects.get(customer=someone).percent == 7.5
    assert browser.post("/office/funds/", {"code": "zoo", "name": "Zoo", "active": "on"}).status_code == 302
    assert browser.post("/office/funds/", {"code": "zoo", "name": "Zoo again"}).status_code == 400
    assert browser.post("/office/funds/zoo/", {"name": "Zoo", "description": ""}).status_code == 302
    assert Fund.objects.get(merchant=merchant, code="zoo").active is False
    response = browser.post(f"/office/customers/{world['owner'].pk}/family/", {"phone": "+79990001199", "can_redeem": "on"})
    assert response.status_code == 302
    assert FamilyMember.objects.filter(family__owner=world["owner"]).count() == 2
    second = browser.post(f"/office/customers/{someone.pk}/family/", {"phone": "+79990001199"})
    assert second.status_code == 400 and "already belongs to a family" in second.content.decode()


def test_another_merchants_screens_are_404(world):
    stranger = MembershipFactory(merchant=MerchantFactory())
    browser = staff_client(stranger)
    assert browser.get("/office/funds/shelter/").status_code == 404
    assert browser.get(f"/office/agents/{world['agent'].pk}/").status_code == 404
    assert browser.post(f"/office/customers/{world['owner'].pk}/family/", {"phone": "+79990001199"}).status_code == 404


def test_counter_panel_shows_the_agent_and_the_family(merchant, cashier, world):
    page = staff_client(cashier).get(f"/counter/customers/{world['client'].pk}/").content.decode()
    assert 'data-testid="panel-agent"' in page and "Irina ••45" in page
    assert 'data-testid="panel-family"' in page and "Olga ••12" in page and "may not spend points" in page


def test_portal_shows_the_family_and_donates_to_an_active_fund(merchant, world):
    owner = world["owner"]
    browser = portal_client(merchant, owner)
    page = browser.get(f"/my/{merchant.slug}/").content.decode()
    assert 'data-testid="portal-family"' in page and "Artem ••67" in page and 'data-testid="portal-donate"' in page
    response = browser.post(f"/my/{merchant.slug}/donate/", {"fund": "shelter", "points": "100"})
    assert response.status_code == 302
    assert Donation.objects.get().points == 100
    assert balance_get(merchant=merchant, customer=owner).available == 600 - 100
    too_much = browser.post(f"/my/{merchant.slug}/donate/", {"fund": "shelter", "points": "100000"})
    assert too_much.status_code == 422 and Donation.objects.count() == 1
    # A member who may not spend the family's points sees no donation form.
    member_page = portal_client(merchant, world["client"]).get(f"/my/{merchant.slug}/").content.decode()
    assert 'data-testid="portal-family"' in member_page and 'data-testid="portal-donate"' not in member_page


def test_russian_screens(merchant, owner, world):
    browser = staff_client(owner)
    browser.cookies["django_language"] = "ru"
    assert "Благотворительные фонды" in browser.get("/office/funds/").content.decode()
    assert "Клиенты и распределение" in browser.get(f"/office/agents/{world['agent'].pk}/").content.decode()
