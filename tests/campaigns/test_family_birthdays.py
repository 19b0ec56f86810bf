"""Birthday triggers with "family": true also congratulate the customer on the family birthdays they recorded."""
from datetime import date, datetime, timedelta, timezone as dt_timezone
from io import StringIO

import pytest
from django.core.management import call_command

from campaigns import triggering
from campaigns.models import Delivery
from loyalty.models import CustomerMessage, Entry
from tests.factories import MerchantFactory, customer_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=dt_timezone.utc)  # 15:00 in Moscow


def run(moment) -> int:
    out = StringIO()
    call_command("run_triggers", "--now", moment.isoformat(), stdout=out)
    line = out.getvalue().splitlines()[0]
    assert line.startswith("run_triggers: ")
    return int(line.split()[1])


@pytest.fixture
def family(merchant, pos_client):
    olga = customer_create(merchant, name="Olga", birthday=date(1985, 1, 10), at=NOW - timedelta(days=400))
    response = pos_client.patch(f"/api/v1/customers/{olga.pk}", {"family_birthdays": [
        {"name": "Masha", "date": "2016-06-17"},   # in 2 days
        {"name": "Petya", "date": "2019-07-01"},   # in 16 days: outside the window
    ]}, format="json")
    assert response.status_code == 200, response.content
    ivan = customer_create(merchant, name="Ivan", birthday=date(1990, 6, 16), at=NOW - timedelta(days=400))
    # Another merchant's customer records the same birthday: never this merchant's business.
    other = MerchantFactory()
    stranger = customer_create(other, name="Stranger", at=NOW - timedelta(days=400))
    from referrals.services.families import family_birthdays_set
    family_birthdays_set(merchant=other, customer=stranger, value=[{"name": "Masha", "date": "2016-06-17"}])
    return olga, ivan, stranger


def trigger(merchant, *, family: bool, code="bday"):
    return triggering.trigger_create(merchant=merchant, data={
        "code": code, "name": "Birthday", "event": "birthday", "days_before": 3, "family": family,
        "channels": ["push"], "subject": "Happy birthday", "text": "Hello {name}", "offer": {"points": 100, "ttl_days": 14}})


def test_family_birthday_fires_once_per_birthday_per_year(merchant, family):
    olga, ivan, stranger = family
    trigger(merchant, family=True)
    assert run(NOW) == 2                      # Ivan's own birthday and Masha's, addressed to Olga
    assert run(NOW) == 0                      # the same moment again: nothing more
    assert run(NOW + timedelta(days=1)) == 0  # a later run within the window: nothing more
    occasions = set(Delivery.objects.filter(trigger__merchant=merchant).values_list("customer__name", "occasion"))
    masha = olga.family_birthdays.get(name="Masha")
    assert occasions == {("Ivan", "birthday:2026"), ("Olga", f"family-birthday:{masha.pk}:2026")}
    assert CustomerMessage.objects.filter(customer=olga).count() == 1
    assert Entry.objects.filter(customer=olga, kind="bonus").count() == 1
    assert not Delivery.objects.filter(customer=stranger).exists()
    # Petya's birthday comes into the window two weeks later; Masha's returns next year.
    assert run(datetime(2026, 6, 29, 12, 0, tzinfo=dt_timezone.utc)) == 1
    assert run(datetime(2027, 6, 15, 12, 0, tzinfo=dt_timezone.utc)) == 2
    assert run(datetime(2027, 6, 15, 12, 0, tzinfo=dt_timezone.utc)) == 0
    assert CustomerMessage.objects.filter(customer=olga).count() == 3


def test_without_family_only_own_birthdays(merchant, family):
    olga, ivan, _stranger = family
    trigger(merchant, family=False)
    assert run(NOW) == 1
    assert list(Delivery.objects.filter(trigger__merchant=merchant).values_list("customer_id", flat=True)) == [ivan.pk]
    assert not CustomerMessage.objects.filter(customer=olga).exists()
