"""A real django-q2 worker process runs the scheduled ledger jobs against the test database."""
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import Success
from django_q.tasks import async_task

from loyalty.models import Entry, Lot
from tests.factories import customer_create

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_process_runs_the_expiry_job_enqueued_through_the_orm_broker(merchant, settings):
    """Welcome points past their lifetime are expired by a job the worker picks up from the queue."""
    settings.Q_CLUSTER = {key: value for key, value in settings.Q_CLUSTER.items() if key != "sync"}
    customer = customer_create(merchant, at=timezone.now() - timedelta(days=30))  # 14-day welcome bonus, long gone
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "Q_WORKERS": "1",
    }
    env.pop("Q_SYNC", None)
    worker = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        task_id = async_task("loyalty.jobs.expire_points_job", sync=False)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Success.objects.filter(id=task_id).exists():
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert Success.objects.filter(id=task_id).exists(), "the worker did not finish the job within a minute"
    expiry = Entry.objects.get(customer=customer, kind="expiry")
    assert expiry.points == -300
    assert Lot.objects.get(customer=customer).remaining == 0
