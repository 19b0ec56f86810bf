"""Invite links through the API: create, read, change, join through one, the per-link report and its exports."""
import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from accounts.models import Customer, Store
from loyalty.models import Entry, Receipt
from promotions.models import Gift, Offer, Promotion
from referrals.models import InviteLink, InviteSignup
from referrals.services.invite_links import invite_signup_recount
from tests.factories import MerchantFactory, client_for, row_counts

pytestmark = pytest.mark.django_db

LINK = {"code": "fitmaster", "name": "FitMaster table tent", "channel": "partner", "welcome_bonus": 1000,
        "gifts": [{"name": "3 free sessions", "sku": "SESSION", "quantity": "3"}], "cost": "15000.00", "active": True}


def test_create_read_and_change_a_link(admin_client):
    response = admin_client.post("/api/v1/invite-links", LINK, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {key: body[key] for key in LINK} == LINK
    assert body["url"].endswith("/join/?invite=fitmaster")
    assert body["qr"].startswith("<svg")
    assert admin_client.get("/api/v1/invite-links/fitmaster").json()["name"] == "FitMaster table tent"
    changed = admin_client.patch("/api/v1/invite-links/fitmaster", {"active": False, "cost": None}, format="json").json()
    assert (changed["active"], changed["cost"]) == (False, None)
    assert [link["code"] for link in admin_client.get("/api/v1/invite-links").json()["results"]] == ["fitmaster"]


@pytest.mark.parametrize(("body", "field"), [
    ({**LINK, "code": "no spaces"}, "code"), ({**LINK, "name": ""}, "name"), ({**LINK, "cost": "-1.00"}, "cost"),
    ({**LINK, "offers": [{"promotion": "missing"}]}, "offers[0].promotion"), ({**LINK, "gifts": [{"name": "x"}]}, "gifts[0].sku"),
    ({**LINK, "welcome_bonus": -5}, "welcome_bonus"), ({**LINK, "colour": "red"}, "colour"), ({"name": "No code"}, "code"),
])
def test_bad_link_is_400_naming_the_field_and_writes_nothing(admin_client, body, field):
    response = admin_client.post("/api/v1/invite-links", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert InviteLink.objects.count() == 0


def test_duplicate_code_is_409(admin_client):
    admin_client.post("/api/v1/invite-links", LINK, format="json")
    response = admin_client.post("/api/v1/invite-links", {**LINK, "code": "FitMaster"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "invite_link_exists"


def test_another_merchants_link_is_404(admin_client):
    other = MerchantFactory()
    InviteLink.objects.create(merchant=other, code="theirs", name="Theirs")

    assert admin_client.get("/api/v1/invite-links/theirs").status_code == 404
    assert admin_client.patch("/api/v1/invite-links/theirs", {"active": False}, format="json").status_code == 404
    assert admin_client.get("/api/v1/invite-links/theirs/report").status_code == 404
    assert admin_client.get("/api/v1/invite-links").json()["results"] == []
    assert admin_client.get("/api/v1/reports/invite-links").json()["results"] == []


@pytest.mark.parametrize("path", ["/api/v1/invite-links", "/api/v1/invite-links/x", "/api/v1/invite-links/x/report",
                                  "/api/v1/reports/invite-links"])
def test_pos_key_is_403(pos_client, path):
    assert pos_client.get(path).status_code == 403


def test_join_through_a_link_gets_its_welcome_offers_and_gifts_and_is_tagged(merchant, admin_client, pos_client):
    Promotion.objects.create(merchant=merchant, code="membership-20", name="Membership -20%", effects=[{"type": "percent_off", "value": "20.00"}])
    admin_client.post("/api/v1/invite-links", {**LINK, "offers": [{"promotion": "membership-20", "days": 30, "uses": 1}]}, format="json")

    response = pos_client.post("/api/v1/customers", {"phone": "+79161230001", "name": "Olga", "invite": "FitMaster"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["balance"]["available"] == 1000
    assert [offer["promotion"] for offer in body["offers"]] == ["membership-20"]
    assert [(gift["sku"], gift["quantity"]) for gift in body["gifts"]] == [("SESSION", "3")]
    customer = Customer.objects.get(pk=body["id"])
    assert customer.invite_code == "FitMaster".strip()
    assert InviteSignup.objects.get(customer=customer).link.code == "fitmaster"
    assert Offer.objects.filter(customer=customer).count() == 1 and Gift.objects.filter(customer=customer).count() == 1


@pytest.mark.parametrize("active", [True, False])
def test_join_through_unknown_or_inactive_link_is_422_and_writes_nothing(merchant, pos_client, active):
    InviteLink.objects.create(merchant=merchant, code="off", name="Off", active=False)
    before = row_counts()

    response = pos_client.post("/api/v1/customers", {"phone": "+79161230001", "invite": "off" if not active else "nowhere"}, format="json")

    assert response.status_code == 422
    assert response.json()["code"] == "invite_unknown"
    assert row_counts() == before
    assert InviteSignup.objects.count() == 0


# ---------------------------------------------------------------- the report

def _bulk_signups(merchant, link, *, count: int, joined_at: datetime, start: int) -> list[Customer]:
    customers = [Customer(merchant=merchant, phone=f"+7916{start + i:07d}", card_number=f"{start + i:013d}",
                          referral_code=f"{start + i:08d}"[-8:], invite_code=link.code, created_at=joined_at) for i in range(count)]
    Customer.objects.bulk_create(customers, batch_size=1000)
    InviteSignup.objects.bulk_create([InviteSignup(merchant=merchant, link=link, customer=customer, joined_at=joined_at)
                                      for customer in customers], batch_size=1000)
    return customers


def _bulk_receipts(merchant, customers, *, subtotal: str, start: int, refunded_cost: str = "0", fully_refunded=False):
    store = Store.objects.get(merchant=merchant, code="main")
    amount = Decimal(subtotal)
    Receipt.objects.bulk_create([
        Receipt(merchant=merchant, store=store, customer=customer, number=f"R-{start + i}", purchased_at=customer.created_at,
                subtotal=amount, discount=Decimal("0"), redeemed_amount=Decimal("0"), total=amount, refunded_cost=Decimal(refunded_cost),
                fully_refunded=fully_refunded)
        for i, customer in enumerate(customers)
    ], batch_size=1000)


@pytest.fixture
def two_channels(merchant):
    zone = ZoneInfo(merchant.timezone)
    joined = datetime(2026, 10, 5, 12, 0, tzinfo=zone)
    youtube = InviteLink.objects.create(merchant=merchant, code="youtube", name="YouTube review", channel="ads", cost=Decimal("50000.00"))
    google = InviteLink.objects.create(merchant=merchant, code="google", name="=HYPERLINK(\"x\")", channel="ads", cost=Decimal("100000.00"))
    signed = _bulk_signups(merchant, youtube, count=2018, joined_at=joined, start=0)
    # 7 buyers at 3,556.00, one at 4,000.00 less a 444.00 return, one who returned everything (not a buyer)
    _bulk_receipts(merchant, signed[:7], subtotal="3556.00", start=0)
    _bulk_receipts(merchant, signed[7:8], subtotal="4000.00", refunded_cost="444.00", start=100)
    _bulk_receipts(merchant, signed[8:9], subtotal="9999.00", refunded_cost="9999.00", fully_refunded=True, start=200)
    signed = _bulk_signups(merchant, google, count=115, joined_at=joined, start=10_000)
    _bulk_receipts(merchant, signed[:87], subtotal="22312.00", start=1000)
    # Outside the period: neither counted
    late = _bulk_signups(merchant, google, count=3, joined_at=joined + timedelta(days=60), start=20_000)
    _bulk_receipts(merchant, late, subtotal="1.00", start=5000)
    # Receipts written in bulk bypass the commit that keeps each sign-up's figures: recount them in one go.
    invite_signup_recount(merchant_id=merchant.pk)
    return youtube, google


def test_report_reproduces_both_channels_exactly(admin_client, two_channels):
    youtube = admin_client.get("/api/v1/invite-links/youtube/report", {"from": "2026-10-01", "to": "2026-10-31"}).json()

    assert youtube == {"code": "youtube", "name": "YouTube review", "channel": "ads", "signups": 2018, "buyers": 8, "purchases": 8,
                       "revenue": "28448.00", "average_check": "3556.00", "conversion": "0.0040", "cost": "50000.00",
                       "cost_per_buyer": "6250.00"}
    rows = admin_client.get("/api/v1/reports/invite-links", {"from": "2026-10-01", "to": "2026-10-31"}).json()["results"]
    google = next(row for row in rows if row["code"] == "google")
    assert (google["signups"], google["buyers"], google["purchases"]) == (115, 87, 87)
    assert (google["revenue"], google["average_check"]) == ("1941144.00", "22312.00")
    assert (google["conversion"], google["cost_per_buyer"]) == ("0.7565", "1149.43")
    everything = admin_client.get("/api/v1/reports/invite-links").json()["results"]
    assert next(row for row in everything if row["code"] == "google")["signups"] == 118


def test_report_csv_and_xlsx(admin_client, two_channels):
    response = admin_client.get("/api/v1/reports/invite-links", {"from": "2026-10-01", "to": "2026-10-31", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["code", "name", "channel", "signups"]
    google = next(row for row in rows if row[0] == "google")
    assert google[1] == "'=HYPERLINK(\"x\")"  # a formula is escaped
    assert google[3:7] == ["115", "87", "87", "1941144.00"]

    response = admin_client.get("/api/v1/reports/invite-links", {"from": "2026-10-01", "to": "2026-10-31", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]][:4] == ["code", "name", "channel", "signups"]
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["google"][3] == 115
    assert Decimal(str(values["google"][6])) == Decimal("1941144")  # a number, not text
    assert values["google"][1] == "=HYPERLINK(\"x\")" and sheet["B2"].data_type == "s"


@pytest.mark.parametrize("params", [{"from": "2026-13-01"}, {"to": "x"}, {"from": "2026-10-02", "to": "2026-10-01"}, {"format": "pdf"}])
def test_report_bad_parameters_are_400(admin_client, params):
    assert admin_client.get("/api/v1/reports/invite-links", params).status_code == 400


def test_report_follows_commits_and_returns(merchant, admin_client, pos_client):
    InviteLink.objects.create(merchant=merchant, code="fit", name="Fit", cost=Decimal("100.00"))
    olga = pos_client.post("/api/v1/customers", {"phone": "+79161230001", "invite": "fit"}, format="json").json()
    pos_client.post("/api/v1/customers", {"phone": "+79161230002", "invite": "fit"}, format="json")
    receipt = pos_client.post("/api/v1/receipts", {"customer": olga["id"], "number": "F-1", "lines": [
        {"sku": "A", "quantity": "1", "price": "300.00"}, {"sku": "B", "quantity": "1", "price": "200.00"}]},
        format="json", HTTP_IDEMPOTENCY_KEY="f-1").json()
    report = admin_client.get("/api/v1/invite-links/fit/report").json()
    assert (report["signups"], report["buyers"], report["purchases"], report["revenue"]) == (2, 1, 1, "500.00")

    pos_client.post(f"/api/v1/receipts/{receipt['id']}/refund", {"lines": [{"sku": "B", "quantity": "1"}]}, format="json",
                    HTTP_IDEMPOTENCY_KEY="f-2")
    report = admin_client.get("/api/v1/invite-links/fit/report").json()
    assert (report["buyers"], report["revenue"], report["cost_per_buyer"], report["conversion"]) == (1, "300.00", "100.00", "0.5000")

    pos_client.post(f"/api/v1/receipts/{receipt['id']}/refund", {}, format="json", HTTP_IDEMPOTENCY_KEY="f-3")
    report = admin_client.get("/api/v1/invite-links/fit/report").json()
    assert (report["buyers"], report["purchases"], report["revenue"], report["average_check"]) == (0, 0, "0.00", None)
