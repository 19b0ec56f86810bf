"""The reports API: admin scope, parameters, files, tenancy."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from accounts.models import Store
from loyalty.services import receipt_commit
from tests.factories import MerchantFactory, client_for, customer_create, draft

pytestmark = pytest.mark.django_db
REPORTS = ("economics", "customers", "cohorts", "promotions")


@pytest.fixture
def sale(merchant):
    store = Store.objects.get(merchant=merchant, code="main")
    customer = customer_create(merchant, name="=HYPERLINK(\"x\")")
    receipt_commit(merchant=merchant, store=store, customer=customer, number="R1", draft=draft(("A", "1", "200.00")))
    return customer


@pytest.mark.parametrize("name", REPORTS)
def test_reports_answer_json_for_an_admin_key(admin_client, sale, name):
    response = admin_client.get(f"/api/v1/reports/{name}")
    assert response.status_code == 200, response.content
    assert response.json()["store"] is None


@pytest.mark.parametrize("name", REPORTS)
def test_a_pos_key_gets_403(pos_client, name):
    assert pos_client.get(f"/api/v1/reports/{name}").status_code == 403


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-13-01"}, "from"), ({"to": "yesterday"}, "to"), ({"from": "2026-11-02", "to": "2026-11-01"}, "from"),
    ({"store": "nowhere"}, "store"), ({"format": "pdf"}, "format"), ({"from": "1900-01-01", "to": "2026-01-01"}, "to"),
    ({"from": "0001-01-01"}, "from"), ({"to": "9999-12-31"}, "to"), ({"from": "2026-1-1"}, "from"),
])
@pytest.mark.parametrize("name", REPORTS)
def test_bad_parameters_are_400_naming_the_parameter(admin_client, name, params, field):
    response = admin_client.get(f"/api/v1/reports/{name}", params)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_economics_as_csv_and_xlsx(admin_client, sale, merchant):
    json_report = admin_client.get("/api/v1/reports/economics").json()
    response = admin_client.get("/api/v1/reports/economics", {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["figure", "value"]
    figures = dict(rows[1:])
    assert figures["revenue"] == json_report["revenue"] == "200.00"
    assert figures["points.accrued"] == str(json_report["points"]["accrued"])
    response = admin_client.get("/api/v1/reports/economics", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A2"
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["from"].date() == date.fromisoformat(json_report["from"])
    assert values["receipts"] == 1 and isinstance(values["receipts"], int)
    assert Decimal(str(values["revenue"])) == Decimal("200.00")


def test_csv_cells_that_look_like_formulas_are_escaped(admin_client, merchant):
    from promotions.services import promotion_create

    promotion_create(merchant=merchant, data={"code": "p1", "name": "=1+2", "target": {"skus": ["A"]},
                                              "effects": [{"type": "amount_off", "value": "1"}]})
    store = Store.objects.get(merchant=merchant, code="main")
    receipt_commit(merchant=merchant, store=store, customer=None, number="R9", draft=draft(("A", "1", "10.00")))
    text = admin_client.get("/api/v1/reports/promotions", {"format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:3] == ["p1", "'=1+2", "1"]
    sheet = load_workbook(io.BytesIO(admin_client.get("/api/v1/reports/promotions", {"format": "xlsx"}).content)).active
    assert sheet["B2"].value == "'=1+2" and sheet["B2"].data_type == "s"
    assert sheet["E2"].value == 1 and sheet["C2"].data_type == "n"


def test_cohorts_export_has_dates(admin_client, sale):
    sheet = load_workbook(io.BytesIO(admin_client.get("/api/v1/reports/cohorts", {"format": "xlsx"}).content)).active
    assert [cell.value for cell in sheet[1]] == ["cohort", "members", "offset", "month", "buyers", "share"]
    assert sheet["A2"].is_date


def test_reports_never_show_another_merchants_figures(admin_client, merchant, sale):
    other = MerchantFactory()
    Store.objects.create(merchant=other, code="secret", name="Secret")
    store = Store.objects.get(merchant=other, code="main")
    receipt_commit(merchant=other, store=store, customer=customer_create(other), number="O1", draft=draft(("A", "1", "999.00")))
    mine = admin_client.get("/api/v1/reports/economics").json()
    assert mine["revenue"] == "200.00"
    assert admin_client.get("/api/v1/reports/customers").json()["members"] == 1
    # Another merchant's store code is unknown here.
    assert admin_client.get("/api/v1/reports/economics", {"store": "secret"}).status_code == 400
    theirs = client_for(other, scope="admin").get("/api/v1/reports/economics").json()
    assert theirs["revenue"] == "999.00"
