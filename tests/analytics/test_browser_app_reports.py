"""A marketer walks the Invite links, Campaigns, Funds and NPS report tabs in a real browser, English and Russian."""
import os
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.services import staff_add
from tests.analytics.test_app_reports import world_build
from tests.factories import MerchantFactory
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, shot, sign_in  # noqa: F401  (browser is a fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

TABS = {"en": ["Invite links", "Campaigns", "Funds", "NPS"], "ru": ["Пригласительные ссылки", "Рассылки", "Фонды", "NPS"]}
TABLES = ["invite-link-report", "campaign-report", "fund-report", "nps-figures"]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_opens_the_new_report_tabs(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo Shop", language=language)
    staff_add(merchant=merchant, email="kate@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Kate")
    world_build(merchant)
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "kate@demo.test", lands_at="office")
    page.goto(f"{live_server.url}/office/reports/")
    for name, table in zip(TABS[language], TABLES):
        page.get_by_test_id("report-tabs").get_by_role("link", name=name, exact=True).click()
        page.get_by_test_id(table).wait_for()
        page.get_by_test_id("no-store-note").wait_for()
        assert page.locator("svg").count() >= 1
        shot(page, f"{language}-reports-{table}")
