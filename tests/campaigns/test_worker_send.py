"""A real django-q2 worker sending a campaign is killed (SIGKILL) mid-way; a second send resumes it: nobody gets
anything twice, the inbox messages and offers match the deliveries exactly."""
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Customer
from campaigns import mailing
from campaigns.models import Campaign, Delivery
from loyalty.models import CustomerMessage, Entry
from tests.factories import customer_create

ROOT = Path(__file__).resolve().parent.parent.parent


def _worker(env):
    return subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=open(os.environ.get("WORKER_LOG", os.devnull), "a"))


def _wait(condition, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_send_killed_mid_way_and_resumed_delivers_each_message_once(merchant, settings, tmp_path):
    settings.Q_CLUSTER = {key: value for key, value in settings.Q_CLUSTER.items() if key != "sync"}
    offset = (13 - timezone.now().hour + 12) % 24 - 12  # a timezone where it is about 13:00 now: not quiet hours
    merchant.timezone = f"Etc/GMT{-offset:+d}" if offset else "UTC"
    merchant.save(update_fields=["timezone"])
    for index in range(120):
        if index % 2:
            customer_create(merchant, email=f"c{index}@example.com", consent_email=True)
        else:
            customer_create(merchant)
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "k", "name": "Kill", "channels": ["email", "push"],
                                                                "text": "Hello {name}", "offer": {"points": 50, "ttl_days": 7}})
    db = connection.settings_dict
    outbox = tmp_path / "mail"
    env = {**os.environ, "Q_WORKERS": "1", "CAMPAIGN_SEND_BATCH": "5", "CAMPAIGN_SEND_PAUSE": "0.15", "CAMPAIGN_CLAIM_LEASE": "1",
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox),
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    env.pop("Q_SYNC", None)
    sent = Delivery.objects.filter(campaign=campaign, status="sent")
    worker = _worker(env)
    try:
        mailing.campaign_send(campaign=campaign)
        assert _wait(lambda: sent.count() >= 30), "the worker sent nothing within 90 s"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    assert sent.count() < 120, "the send finished before the kill; the test proves nothing"
    assert Campaign.objects.get(pk=campaign.pk).status == "sending"
    time.sleep(1.5)  # past the claim lease: what the dead worker claimed counts as interrupted
    worker = _worker(env)
    try:
        mailing.campaign_send(campaign=campaign)
        mailing.campaign_send(campaign=campaign)  # and once more: still the same campaign
        assert _wait(lambda: Campaign.objects.get(pk=campaign.pk).status == "sent"), (
            "the resumed send did not finish", Counter(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)),
            Campaign.objects.get(pk=campaign.pk).status)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    rows = Delivery.objects.filter(campaign=campaign)
    assert rows.count() == 120 == Customer.objects.filter(merchant=merchant).count()
    assert not rows.filter(status__in=("pending", "sending")).exists()
    interrupted = rows.filter(status="failed")
    assert all(row.error.startswith("interrupted") for row in interrupted)
    assert rows.filter(status="sent").count() + interrupted.count() == 120
    # Inbox messages are written with their confirmation: exactly one per push delivery, none twice.
    inbox = Counter(CustomerMessage.objects.filter(customer__merchant=merchant, body="Hello ").values_list("customer_id", flat=True))
    assert set(inbox.values()) <= {1}
    assert set(inbox) == set(rows.filter(status="sent", channel="push").values_list("customer_id", flat=True))
    # Emails: no address twice; every confirmed email is in the outbox.
    text = "".join(path.read_text() for path in outbox.glob("*.log"))
    addresses = Counter(re.findall(r"^To: (\S+)$", text, flags=re.M))
    assert set(addresses.values()) <= {1}
    confirmed = set(rows.filter(status="sent", channel="email").values_list("customer__email", flat=True))
    assert confirmed <= set(addresses)
    # The offer went to exactly those confirmed, once each.
    bonus = Counter(Entry.objects.filter(customer__merchant=merchant, kind="bonus").values_list("customer_id", flat=True))
    assert set(bonus.values()) <= {1}
    assert set(bonus) == set(rows.filter(status="sent").values_list("customer_id", flat=True))
    assert timezone.now()
