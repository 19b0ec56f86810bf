"""The marketer's referral screens: settings with the worked example, invite links, QR, table tent and report."""
from decimal import Decimal

import pytest

from accounts.models import Role
from referrals.models import InviteLink, ReferralSettings
from tests.factories import MembershipFactory, MerchantFactory, program_set

pytestmark = pytest.mark.django_db

WORKED = {"referee_welcome_bonus": "500", "referrer_bonus": "50", "referrer_bonus_on": "join", "referee_extra_percent": "2.00",
          "referee_extra_purchases": "3", "referrer_percent": "1.00", "referrer_percent_purchases": "", "second_level_percent": "0.50",
          "monthly_cap": ""}


@pytest.fixture
def office(client, merchant, marketer):
    program_set(merchant, accrual_percent="5.00", welcome_bonus=300)
    client.force_login(marketer.user)
    return client


def test_settings_saved_and_the_example_reads_as_typed(office, merchant):
    response = office.post("/office/referrals/", WORKED)

    assert response.status_code == 302
    saved = ReferralSettings.objects.get(merchant=merchant)
    assert (saved.referee_welcome_bonus, saved.referrer_percent) == (500, Decimal("1.00"))
    example = office.post("/office/referrals/example/", WORKED).content.decode()
    assert "500 points" in example and "instead of 300" in example
    assert "70 to Artem (50 + 20 extra)" in example and "10 to Alexander" in example and "5 to Boris" in example
    assert "Alexander:</strong> 50" in office.get("/office/referrals/").content.decode()  # the saved settings, read back


def test_settings_bad_input_is_shown_and_writes_nothing(office, merchant):
    response = office.post("/office/referrals/", {**WORKED, "referrer_percent": "150"})

    assert response.status_code == 422
    assert not ReferralSettings.objects.filter(merchant=merchant).exists()


def test_cashier_cannot_open_referral_settings(client, merchant):
    cashier = MembershipFactory(merchant=merchant, role=Role.CASHIER)
    client.force_login(cashier.user)
    assert client.get("/office/referrals/").status_code == 403
    assert client.get("/office/referrals/links/").status_code == 403


def test_link_create_edit_qr_tent_report(office, merchant):
    form = {"name": "FitMaster table tent", "code": "fitmaster", "channel": "partner", "welcome_bonus": "1000", "cost": "15000.00",
            "active": "on", "gift_name": "3 free sessions", "gift_sku": "SESSION", "gift_quantity": "3"}
    response = office.post("/office/referrals/links/new/", form)
    assert response.status_code == 302, response.content.decode()[:1000]
    link = InviteLink.objects.get(merchant=merchant, code="fitmaster")
    assert link.gifts == [{"name": "3 free sessions", "sku": "SESSION", "quantity": "3"}]
    office.post("/office/referrals/links/fitmaster/", {**form, "name": "FitMaster tent", "code": "ignored", "active": ""})
    link.refresh_from_db()
    assert (link.name, link.code, link.active) == ("FitMaster tent", "fitmaster", False)

    qr = office.get("/office/referrals/links/fitmaster/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and qr.content.startswith(b"<svg")
    tent = office.get("/office/referrals/links/fitmaster/tent/").content.decode()
    assert "1000 points as a gift" in tent and "3 free sessions" in tent and "join/?invite=fitmaster" in tent
    report = office.get("/office/referrals/links/fitmaster/report/").content.decode()
    assert 'data-testid="funnel"' in report and "0.0000" in report


def test_link_bad_promotion_is_shown_on_its_field(office, merchant):
    response = office.post("/office/referrals/links/new/", {"name": "X", "code": "x", "offer_promotion": "missing", "active": "on"})

    assert response.status_code == 422
    assert "Unknown promotion: missing." in response.content.decode()
    assert not InviteLink.objects.exists()


def test_links_list_sorts_and_exports(office, merchant):
    InviteLink.objects.create(merchant=merchant, code="a", name="Alpha", cost=Decimal("100.00"))
    InviteLink.objects.create(merchant=merchant, code="b", name="Beta")

    page = office.get("/office/referrals/links/?sort=-conversion").content.decode()
    assert "Alpha" in page and "Beta" in page
    assert office.get("/office/referrals/links/?format=csv").content.decode().startswith("code,name,channel")
    assert office.get("/office/referrals/links/?format=xlsx")["Content-Type"].startswith("application/vnd.openxmlformats")


def test_another_merchants_link_is_404(office):
    InviteLink.objects.create(merchant=MerchantFactory(), code="theirs", name="Theirs")
    for path in ("/office/referrals/links/theirs/", "/office/referrals/links/theirs/qr.svg", "/office/referrals/links/theirs/tent/",
                 "/office/referrals/links/theirs/report/"):
        assert office.get(path).status_code == 404
