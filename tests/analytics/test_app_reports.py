"""The Reports tabs of the other apps' figures (invite links, campaigns, funds, NPS): the same numbers as each
app's own API report for the same dates, a chart, CSV/XLSX exports, owners and marketers only, tenancy; and the
economics report's agent discounts as the agents' checkout step writes them."""
import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Customer
from analytics.models import RollupDay
from analytics.rollups import rollup_day
from campaigns.messaging_jobs import campaign_send_job
from campaigns.models import Campaign, SurveyResponse
from loyalty.models import Receipt
from referrals.models import InviteLink, InviteSignup
from referrals.services.invite_links import invite_signup_recount
from tests.factories import MerchantFactory, client_for, customer_create

pytestmark = pytest.mark.django_db
TABS = ("invite-links/", "campaigns/", "funds/", "nps/")
LINE = {"sku": "SOFA", "name": "Sofa", "quantity": "2", "price": "500.00"}


def login(client, membership):
    client.force_login(membership.user)
    return client


def today(merchant):
    return timezone.now().astimezone(ZoneInfo(merchant.timezone)).date()


@pytest.fixture
def world(merchant):
    return world_build(merchant)


def world_build(merchant):
    """A link with two sign-ups (one buys), a fund with donations, a sent campaign, survey answers: all today."""
    admin_client, pos_client = client_for(merchant, scope="admin"), client_for(merchant)
    link = InviteLink.objects.create(merchant=merchant, code="fitmaster", name="=HYPERLINK(\"x\")", channel="partner",
                                     cost=Decimal("1000.00"))
    buyer, idle = customer_create(merchant, name="Ann"), customer_create(merchant, name="Bob")
    now = timezone.now()
    InviteSignup.objects.bulk_create([InviteSignup(merchant=merchant, link=link, customer=c, joined_at=now) for c in (buyer, idle)])
    assert admin_client.post("/api/v1/campaigns", {"code": "spring", "name": "Spring sale", "channels": ["push"],
                                                   "text": "Hello {name}", "control_percent": 50}, format="json").status_code == 201
    assert admin_client.post("/api/v1/campaigns/spring/send").status_code in (200, 202)
    campaign_send_job(Campaign.objects.get(merchant=merchant, code="spring").pk)  # the job the send queues
    assert pos_client.post("/api/v1/receipts", {"customer": str(buyer.pk), "number": "L-1", "lines": [LINE]},
                           format="json").status_code == 201
    invite_signup_recount(merchant_id=merchant.pk)  # sign-ups written in bulk: count their receipts
    assert admin_client.post("/api/v1/funds", {"code": "shelter", "name": "City animal shelter"}, format="json").status_code == 201
    for customer, points in ((buyer, 100), (idle, 30)):
        assert pos_client.post(f"/api/v1/customers/{customer.pk}/donations", {"fund": "shelter", "points": points},
                               format="json").status_code == 201
    for customer, score in zip((buyer, idle, customer_create(merchant)), (10, 7, 3)):
        SurveyResponse.objects.create(merchant=merchant, customer=customer, score=score)
    return link


@pytest.mark.parametrize("tab", TABS)
def test_owner_and_marketer_open_every_new_tab_with_its_exports(client, owner, marketer, world, tab):
    for who in (owner, marketer):
        response = login(client, who).get(f"/office/reports/{tab}")
        assert response.status_code == 200
        text = response.content.decode()
        assert "Export CSV" in text and "Export XLSX" in text
        assert 'data-testid="no-store-note"' in text and 'id="id_store"' not in text
        assert "<svg" in text


@pytest.mark.parametrize("tab", TABS)
def test_a_cashier_gets_403(client, cashier, tab):
    assert login(client, cashier).get(f"/office/reports/{tab}").status_code == 403


@pytest.mark.parametrize("tab", TABS)
def test_bad_period_is_400_with_the_field_marked(client, owner, tab):
    response = login(client, owner).get(f"/office/reports/{tab}", {"from": "2026-11-02", "to": "2026-11-01"})
    assert response.status_code == 400 and b"has-error" in response.content


def test_invite_links_tab_equals_the_api_report(client, owner, admin_client, world, merchant):
    day = today(merchant).isoformat()
    api = admin_client.get("/api/v1/reports/invite-links", {"from": day, "to": day}).json()["results"]
    assert (api[0]["signups"], api[0]["buyers"], api[0]["revenue"]) == (2, 1, "1000.00")
    page = login(client, owner).get("/office/reports/invite-links/", {"from": day, "to": day})
    assert page.context["report"]["links"] == api
    text = page.content.decode()
    assert "50 %" in text and "1,000.00" in text
    rows = list(csv.reader(io.StringIO(client.get("/office/reports/invite-links/", {"from": day, "to": day, "format": "csv"})
                                       .content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["code", "name", "channel", "signups", "buyers"]
    assert rows[1][:5] == ["fitmaster", "'=HYPERLINK(\"x\")", "partner", "2", "1"]  # a formula is escaped
    sheet = load_workbook(io.BytesIO(client.get("/office/reports/invite-links/", {"format": "xlsx"}).content)).active
    row = [cell.value for cell in sheet[2]]
    assert row[3:7] == [2, 1, 1, 1000] and isinstance(row[3], int)
    assert sheet.freeze_panes == "A2"


def test_a_period_before_the_sign_ups_shows_none(client, owner, world, merchant):
    earlier = (today(merchant) - timedelta(days=10)).isoformat()
    page = login(client, owner).get("/office/reports/invite-links/", {"from": earlier, "to": earlier})
    assert page.context["report"]["links"][0]["signups"] == 0


def test_funds_tab_equals_the_api_report(client, marketer, admin_client, world, merchant):
    day = today(merchant).isoformat()
    api = admin_client.get("/api/v1/funds/shelter/report", {"from": day, "to": day}).json()
    page = login(client, marketer).get("/office/reports/funds/", {"from": day, "to": day})
    assert page.context["report"]["funds"] == [api]
    assert api["points"] == 130 and api["donors"] == 2
    sheet = load_workbook(io.BytesIO(client.get("/office/reports/funds/", {"format": "xlsx"}).content)).active
    assert [cell.value for cell in sheet[2]][:3] == ["shelter", "City animal shelter", 130]


def test_nps_tab_equals_the_api_report_and_draws_the_split(client, owner, admin_client, world, merchant):
    day = today(merchant).isoformat()
    api = admin_client.get("/api/v1/reports/nps", {"from": day, "to": day}).json()
    assert api == {"responses": 3, "promoters": 1, "passives": 1, "detractors": 1, "nps": 0}
    page = login(client, owner).get("/office/reports/nps/", {"from": day, "to": day})
    assert {key: page.context["report"][key] for key in api} == api
    assert 'data-testid="nps-split"' in page.content.decode()
    rows = dict(csv.reader(io.StringIO(client.get("/office/reports/nps/", {"format": "csv"}).content.decode("utf-8-sig"))))
    assert rows["responses"] == "3" and rows["nps"] == "0"


def test_campaigns_tab_equals_the_api_report(client, owner, admin_client, world, merchant):
    day = today(merchant).isoformat()
    api = admin_client.get("/api/v1/campaigns/spring/report").json()
    page = login(client, owner).get("/office/reports/campaigns/", {"from": day, "to": day})
    [row] = page.context["report"]["campaigns"]
    assert {key: row[key] for key in api} == api
    sheet = load_workbook(io.BytesIO(client.get("/office/reports/campaigns/", {"format": "xlsx"}).content)).active
    values = dict(zip([cell.value for cell in sheet[1]], [cell.value for cell in sheet[2]]))
    assert values["code"] == "spring" and values["recipients"] == api["recipients"]
    earlier = (today(merchant) - timedelta(days=10)).isoformat()
    assert client.get("/office/reports/campaigns/", {"from": earlier, "to": earlier}).context["report"]["campaigns"] == []


def test_another_merchants_figures_never_show(client, owner, world):
    other = MerchantFactory()
    InviteLink.objects.create(merchant=other, code="theirs", name="Theirs")
    Campaign.objects.create(merchant=other, code="their-mail", name="Their mail", started_at=timezone.now(), status=Campaign.Status.SENT)
    SurveyResponse.objects.create(merchant=other, customer=Customer.objects.create(merchant=other, phone="+79990001122"), score=0)
    login(client, owner)
    assert [row["code"] for row in client.get("/office/reports/invite-links/").context["report"]["links"]] == ["fitmaster"]
    assert [row["code"] for row in client.get("/office/reports/campaigns/").context["report"]["campaigns"]] == ["spring"]
    assert client.get("/office/reports/nps/").context["report"]["responses"] == 3


def test_a_pos_key_cannot_read_the_reports(pos_client):
    assert pos_client.get("/api/v1/reports/economics").status_code == 403


def test_a_clients_agent_discount_is_in_the_economics_report(merchant, admin_client, pos_client):
    agent = customer_create(merchant, name="Irina")
    client = customer_create(merchant, name="Artem")
    assert admin_client.patch(f"/api/v1/customers/{agent.pk}", {"agent_percent": "15.00"}, format="json").status_code == 200
    assert admin_client.put(f"/api/v1/customers/{client.pk}/agent", {"agent": str(agent.pk), "client_discount_percent": "10.00",
                                                                      "agent_points_percent": "5.00"}, format="json").status_code == 200
    body = pos_client.post("/api/v1/receipts", {"customer": str(client.pk), "number": "A-1", "lines": [LINE]}, format="json").json()
    assert [item["amount"] for item in body["applied"] if item["kind"] == "agent_discount"] == ["100.00"]
    report = admin_client.get("/api/v1/reports/economics").json()
    assert report["discounts"]["agents"] == "100.00"
    assert report["revenue"] == "900.00"
    # A closed day is read from its rollup: the agent discount is kept there too.
    yesterday = today(merchant) - timedelta(days=1)
    Receipt.objects.filter(merchant=merchant, number="A-1").update(purchased_at=timezone.now() - timedelta(days=1))
    rollup_day(merchant=merchant, day=yesterday)
    assert RollupDay.objects.filter(merchant=merchant, day=yesterday).exists()
    closed = admin_client.get("/api/v1/reports/economics", {"from": yesterday.isoformat(), "to": yesterday.isoformat()}).json()
    assert closed["discounts"]["agents"] == "100.00"
