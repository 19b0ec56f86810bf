"""The back-office screens: segment builder (rows, live count, save, CSV), occasion bonus, draws, badges, NPS."""
import pytest
from django.test import Client

from accounts.models import Role
from campaigns.models import Badge, Draw, Segment
from loyalty.models import Entry
from tests.factories import MembershipFactory, MerchantFactory, customer_create, program_set

pytestmark = pytest.mark.django_db


def signed_in(membership):
    client = Client()
    client.force_login(membership.user)
    return client


def builder_post(name="Women", code="women", rows=(("gender", "eq", "f", ""),), action="save", root="all"):
    data = {"name": name, "code": code, "root": root, "groups": "1", "g-0-mode": "all", "g-0-rows": str(len(rows)), "action": action}
    for j, (field, op, value, days) in enumerate(rows):
        data.update({f"g-0-{j}-field": field, f"g-0-{j}-op": op, f"g-0-{j}-value": value, f"g-0-{j}-days": days})
    return data


def test_marketer_builds_previews_saves_and_exports(marketer):
    merchant = marketer.merchant
    customer_create(merchant, name="Ann", gender="f")
    customer_create(merchant, name="Bob", gender="m")
    client = signed_in(marketer)
    assert client.get("/office/campaigns/segments/new/").status_code == 200
    preview = client.post("/office/campaigns/segments/preview/", builder_post(action=""), HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and 'data-testid="segment-count">1<' in preview.content.decode()
    bad = client.post("/office/campaigns/segments/preview/", builder_post(rows=(("age", "gte", "old", ""),), action=""))
    assert "segment-invalid" in bad.content.decode() and "Condition 1.1" in bad.content.decode()
    added = client.post("/office/campaigns/segments/new/", builder_post(action="add-row-0"), HTTP_HX_REQUEST="true")
    assert added.content.decode().count('data-testid="segment-row"') == 2
    group = client.post("/office/campaigns/segments/new/", builder_post(action="add-group"), HTTP_HX_REQUEST="true")
    assert group.content.decode().count('data-testid="segment-group"') == 2
    saved = client.post("/office/campaigns/segments/new/", builder_post())
    assert saved.status_code == 302
    segment = Segment.objects.get(merchant=merchant)
    assert segment.rules == {"all": [{"all": [{"field": "gender", "op": "eq", "value": "f"}]}]}
    page = client.get("/office/campaigns/segments/women/").content.decode()
    assert "Ann" in page and 'value="f"' in page
    exported = client.get("/office/campaigns/segments/women/export.csv")
    assert "Ann" in b"".join(exported.streaming_content).decode()
    listing = client.get("/office/campaigns/segments/").content.decode()
    assert "Women" in listing


def test_save_with_a_bad_condition_shows_it_on_the_row(marketer):
    client = signed_in(marketer)
    response = client.post("/office/campaigns/segments/new/", builder_post(rows=(("spend", "in", "5", ""),)))
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not Segment.objects.exists()


def test_occasion_bonus_form_credits_once(marketer):
    merchant = marketer.merchant
    program_set(merchant, welcome_bonus=0)
    customer_create(merchant, gender="f")
    Segment.objects.create(merchant=merchant, code="women", name="Women", rules={"all": [{"field": "gender", "op": "eq", "value": "f"}]})
    client = signed_in(marketer)
    body = {"points": "100", "ttl_days": "7", "reason": "Snowboarder's day", "token": "abc123"}
    assert client.post("/office/campaigns/segments/women/bonus/", body).status_code == 302
    assert client.post("/office/campaigns/segments/women/bonus/", body).status_code == 302  # a double click
    assert Entry.objects.filter(kind="bonus").count() == 1


def test_draws_badges_nps_pages(marketer):
    merchant = marketer.merchant
    client = signed_in(marketer)
    created = client.post("/office/campaigns/engagement/draws/", {"name": "Winter", "code": "winter", "segment": "", "winners": "1",
                                                                 "points": "100", "draw_at": "2030-01-01T12:00"})
    assert created.status_code == 302
    draw = Draw.objects.get()
    page = client.get("/office/campaigns/engagement/draws/").content.decode()
    assert draw.commitment in page and draw.seed not in page
    client.post(f"/office/campaigns/engagement/draws/{draw.code}/run/")
    assert draw.seed in client.get("/office/campaigns/engagement/draws/").content.decode()
    assert client.post("/office/campaigns/engagement/badges/", {"name": "First", "code": "first", "rule": "first_purchase",
                                                                "points": "10"}).status_code == 302
    assert Badge.objects.filter(merchant=merchant).count() == 1
    assert client.get("/office/campaigns/engagement/nps/").status_code == 200
    assert client.get("/office/campaigns/engagement/nps/?from=bad").status_code == 200


def test_cashier_is_refused_and_other_merchants_segment_is_404(merchant):
    cashier = MembershipFactory(merchant=merchant, role=Role.CASHIER)
    assert signed_in(cashier).get("/office/campaigns/segments/").status_code == 403
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER)
    Segment.objects.create(merchant=MerchantFactory(), code="theirs", name="Theirs", rules={"all": []})
    assert signed_in(owner).get("/office/campaigns/segments/theirs/").status_code == 404
    assert signed_in(owner).get("/office/campaigns/segments/theirs/export.csv").status_code == 404
