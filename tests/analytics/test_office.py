"""The Reports screens: owners and marketers, every report with its period and store, files, bad input, tenancy."""
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Store
from loyalty.services import receipt_commit
from tests.factories import MerchantFactory, customer_create, draft

pytestmark = pytest.mark.django_db
PAGES = ("", "customers/", "cohorts/", "promotions/")


@pytest.fixture
def sold(merchant):
    store = Store.objects.get(merchant=merchant, code="main")
    receipt_commit(merchant=merchant, store=store, customer=customer_create(merchant), number="R1", draft=draft(("A", "1", "1234.50")))


def login(client, membership):
    client.force_login(membership.user)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_a_marketer_opens_every_report(client, marketer, sold, page):
    response = login(client, marketer).get(f"/office/reports/{page}", {"store": "main"})
    assert response.status_code == 200
    assert b"Export XLSX" in response.content


def test_economics_page_shows_revenue_chart_and_definitions(client, owner, sold):
    response = login(client, owner).get("/office/reports/")
    text = response.content.decode()
    assert "1,234.50" in text
    assert "<svg" in text and "<script" not in text.split("<main")[-1].split("</main>")[0]
    assert "How the figures are counted" in text


def test_the_dashboard_links_to_reports(client, owner):
    text = login(client, owner).get("/office/").content.decode()
    assert 'data-testid="dashboard-reports"' in text and "/office/reports/" in text


def test_a_cashier_cannot_open_reports(client, cashier):
    assert login(client, cashier).get("/office/reports/").status_code == 403


@pytest.mark.parametrize("params", [{"from": "2026-02-30"}, {"from": "2026-11-02", "to": "2026-11-01"}, {"store": "nowhere"}])
def test_bad_period_is_400_with_the_field_marked(client, owner, params):
    response = login(client, owner).get("/office/reports/customers/", params)
    assert response.status_code == 400
    assert b"has-error" in response.content


def test_export_xlsx_from_the_screen(client, marketer, sold):
    response = login(client, marketer).get("/office/reports/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["revenue"] == 1234.5


def test_another_merchants_store_is_unknown_here(client, owner):
    other = MerchantFactory()
    Store.objects.create(merchant=other, code="theirs", name="Theirs")
    assert login(client, owner).get("/office/reports/", {"store": "theirs"}).status_code == 400
