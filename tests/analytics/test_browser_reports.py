"""A marketer opens the reports in a real browser, English and Russian, picks a period, and downloads XLSX."""
import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role, Store
from accounts.services import staff_add
from loyalty.services import receipt_commit
from tests.factories import MerchantFactory, customer_create, draft
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, shot, sign_in  # noqa: F401  (browser is a fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

TEXT = {"en": {"reports": "Reports", "revenue": "Revenue", "crr": "CRR (retention)", "xlsx": "Export XLSX"},
        "ru": {"reports": "Отчёты", "revenue": "Выручка", "crr": "CRR (удержание)", "xlsx": "Выгрузить XLSX"}}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_opens_reports_and_downloads_xlsx(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo Shop", language=language)
    staff_add(merchant=merchant, email="kate@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Kate")
    store = Store.objects.get(merchant=merchant, code="main")
    now = timezone.now()
    for day in range(3):
        customer = customer_create(merchant, at=now - timedelta(days=day + 1))
        receipt_commit(merchant=merchant, store=store, customer=customer, number=f"R{day}",
                       draft=draft(("A", "1", "1500.00"), purchased_at=now - timedelta(days=day)), now=now - timedelta(days=day))
    text = TEXT[language]
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "kate@demo.test", lands_at="office")
    page.get_by_role("link", name=text["reports"]).first.click()
    page.get_by_test_id("economics").wait_for()
    assert text["revenue"] in page.content()
    assert page.locator("svg.report-chart").count() == 2
    shot(page, f"{language}-reports-economics")

    page.get_by_test_id("report-tabs").get_by_role("link").nth(1).click()
    page.get_by_test_id("customers").wait_for()
    assert text["crr"] in page.content()
    page.get_by_test_id("report-tabs").get_by_role("link").nth(0).click()
    page.get_by_test_id("economics").wait_for()

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["revenue"] == 4500 and values["receipts"] == 3
